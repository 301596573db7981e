//! The predictive-fit part of the store story, then the match keys and completeness flags of a
//! customer imported with a contact.

use super::*;

/// Predictive fits: stored with their figures, the newest of a kind in force, noted in the feed.
pub(super) async fn model_fits(store: &Store) {
    use strata_store::NewModelFit;
    assert!(store.current_model_fits().await.unwrap().is_empty());
    let fit = |kind: &str, params: &str, ll: f64| NewModelFit {
        kind: kind.into(),
        calibration_end: "1997-09-30".into(),
        time_unit: "weeks".into(),
        params: params.into(),
        log_likelihood: ll,
        customers: 2357,
        repeat_customers: 946,
        iterations: 23,
        seconds: 0.01,
        fitted_by: "tester".into(),
    };
    let seq = store.last_change_seq().await.unwrap();
    let first = store.save_model_fit(&fit("bgnbd", r#"{"r":0.24,"alpha":4.4,"a":0.79,"b":2.4}"#, -9582.43), None).await.unwrap().id;
    let spend = store.save_model_fit(&fit("gamma_gamma", r#"{"p":6.25,"q":3.74,"gamma":15.44}"#, -4055.9), None).await.unwrap().id;
    let second = store.save_model_fit(&fit("bgnbd", r#"{"r":0.25,"alpha":5.4,"a":0.6,"b":2.6}"#, -17138.2), None).await.unwrap().id;
    assert!(first < spend && spend < second);
    let changes = store.changes_after(seq, 10).await.unwrap();
    assert_eq!(changes.len(), 3);
    assert!(changes.iter().all(|c| c.kind == strata_store::ChangeKind::Models));
    let current = store.current_model_fits().await.unwrap();
    let ids: Vec<(String, i64)> = current.iter().map(|f| (f.kind.clone(), f.id)).collect();
    assert_eq!(ids, vec![("bgnbd".to_string(), second), ("gamma_gamma".to_string(), spend)]);
    assert_eq!((current[0].log_likelihood, current[0].customers, current[0].time_unit.as_str()), (-17138.2, 2357, "weeks"));
    let history: Vec<i64> = store.model_fit_history("bgnbd", 10).await.unwrap().iter().map(|f| f.id).collect();
    assert_eq!(history, vec![second, first]);
    assert_eq!(store.model_fit_history("bgnbd", 1).await.unwrap().len(), 1);

    // Closed deals, for outcome studies: won and lost with their closing day, open ones left out.
    let c = store.create_customer(&CustomerInput { external_id: Some("D-1".into()), ..customer("深圳成交科技有限公司") }).await.unwrap();
    let dh = ["商机编号", "客户编号", "客户名称", "商机名称", "商机阶段", "成交日期"];
    let rows: [&[&str]; 3] = [
        &["DL-1", "D-1", "", "扩容", "赢单", "2024-05-06"],
        &["DL-2", "D-1", "", "续约", "lost", "2024-07-01"],
        &["DL-3", "D-1", "", "新线", "proposal", ""],
    ];
    import(store, Entity::Deals, &dh, &rows, &[]).await;
    let closed: Vec<_> = store.closed_deals().await.unwrap().into_iter().filter(|d| d.0 == c.id).collect();
    assert_eq!(closed, vec![(c.id, true, "2024-05-06".to_string()), (c.id, false, "2024-07-01".to_string())]);

    // Matching keys for duplicate detection: the customer's canonical name and city, its
    // contacts' phones and e-mails.
    let keys = store.match_keys().await.unwrap();
    let k = keys.iter().find(|k| k.id == c.id).expect("keys");
    assert_eq!((k.kind.as_str(), k.canonical_name.as_str()), ("company", "成交科技"));
    let ch = ["联系人编号", "客户编号", "客户名称", "姓名", "手机", "邮箱"];
    import(store, Entity::Contacts, &ch, &[&["CT-D1", "D-1", "", "李雷", "13912345678", "Li.Lei@Example.CN"]], &[]).await;
    let contacts: Vec<_> = store.contact_match_keys().await.unwrap().into_iter().filter(|k| k.0 == c.id).collect();
    assert_eq!(contacts, vec![(c.id, Some("+8613912345678".to_string()), None, Some("li.lei@example.cn".to_string()))]);
    let found = |v: Vec<strata_store::MatchKeys>| v.iter().any(|k| k.id == c.id);
    assert!(found(store.match_candidates("成交电子", None, None, None).await.unwrap()), "same first characters");
    assert!(found(store.match_candidates("大成交科技", None, None, None).await.unwrap()), "same last characters");
    assert!(found(store.match_candidates("无关", None, Some("+8613912345678"), None).await.unwrap()), "a contact's phone");
    assert!(!found(store.match_candidates("无关", None, None, Some("x@y.cn")).await.unwrap()));
    // Completeness flags: a company with an owner and a contact, without a credit code.
    let rows = store.completeness_rows().await.unwrap();
    let row = *rows.rows.iter().find(|r| r.id == c.id).expect("row");
    assert_eq!((row.company, rows.owner(&row)), (true, Some("王伟")));
    assert_eq!((row.filled[0], row.filled[4], row.filled[7]), (false, true, true));
    super::dashboard::completeness(store, &rows).await;
}
