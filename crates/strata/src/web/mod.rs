//! The web application: server-rendered pages (minijinja templates embedded in the binary,
//! HTML auto-escaped) in Chinese or English, behind the same sessions and field rules as the
//! API. Login and logout forms; the pages are in the modules below.

mod admin;
mod customer_list;
mod customer_metrics;
mod customers;
mod dashboard;
pub(crate) mod error_words;
mod figure_cache;
mod figures;
pub mod i18n;
mod imports;
mod models;
mod tier_history;

pub use figure_cache::FigureCache;

use std::sync::OnceLock;

use axum::{
    extract::{Form, Query, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use minijinja::Environment;
use serde::Deserialize;
use serde_json::{json, Value};
use strata_store::AuditEntry;

use crate::server::{auth, AppState, Caller};
use i18n::Lang;

pub const LANG_COOKIE: &str = "strata_lang";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/dashboard", get(dashboard::page))
        .route("/assets/echarts.min.js", get(dashboard::echarts))
        .route("/assets/complete.js", get(dashboard::complete_js))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/customers", get(customer_list::list))
        .route("/customers/new", get(customers::new_page))
        .route("/customers/{id}", get(customers::show))
        .route("/imports/new", get(imports::wizard))
        .route("/models", get(models::list))
        .route("/models/new", get(models::new))
        .route("/models/{key}", get(models::show))
        .route("/admin", get(|| async { Redirect::to("/admin/users") }))
        .route("/admin/users", get(admin::users))
        .route("/admin/roles", get(admin::roles_page))
        .route("/admin/audit", get(admin::audit))
}

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Phone numbers as people in China write them (stored as E.164).
        env.add_filter("phone", |s: String| strata_core::phone::display(&s));
        for (name, text) in [
            ("base.html", include_str!("../../templates/base.html")),
            ("login.html", include_str!("../../templates/login.html")),
            ("customers.html", include_str!("../../templates/customers.html")),
            ("customer.html", include_str!("../../templates/customer.html")),
            ("customer_new.html", include_str!("../../templates/customer_new.html")),
            ("models.html", include_str!("../../templates/models.html")),
            ("import.html", include_str!("../../templates/import.html")),
            ("dashboard.html", include_str!("../../templates/dashboard.html")),
            ("model.html", include_str!("../../templates/model.html")),
            ("admin_nav.html", include_str!("../../templates/admin_nav.html")),
            ("admin_users.html", include_str!("../../templates/admin_users.html")),
            ("admin_roles.html", include_str!("../../templates/admin_roles.html")),
            ("admin_audit.html", include_str!("../../templates/admin_audit.html")),
        ] {
            if let Err(e) = env.add_template(name, text) {
                tracing::error!(template = name, error = %e, "a page template does not parse");
            }
        }
        env
    })
}

/// What the rule editors offer while typing: the engine's schema (custom fields, published
/// models, fits in force), or only the custom fields while the engine loads.
pub fn completions(s: &AppState, custom: &[strata_core::custom_field::CustomFieldDef]) -> Vec<strata_core::rules::completion::Completion> {
    use strata_core::{engine::attributes, rules::completion::vocabulary};
    let guard = s.live.read();
    let schema = match guard.as_ref() {
        Some(loaded) => loaded.engine.rule_schema(&loaded.schema),
        None => attributes::schema_of(custom),
    };
    vocabulary(&schema, &attributes::money_custom(&schema, custom))
}

/// Who is asking for a page, in which language.
pub struct Page {
    pub lang: Lang,
    /// A `?lang=` switch to remember in the cookie.
    pub set_lang: bool,
    pub caller: Option<Caller>,
}

impl Page {
    pub async fn of(s: &AppState, headers: &HeaderMap, lang: Option<&str>, address: String) -> Page {
        let asked = lang.and_then(Lang::parse);
        let remembered = auth::cookie(headers, LANG_COOKIE).and_then(Lang::parse);
        let caller = auth::identify(s, headers, &Method::GET, address).await.ok();
        Page { lang: asked.or(remembered).unwrap_or(Lang::Zh), set_lang: asked.is_some(), caller }
    }

    /// Renders a template with the page's words, user and CSRF token.
    pub fn render(&self, name: &str, mut ctx: Value) -> Response {
        let user = self.caller.as_ref().map(|c| json!(c.user));
        let csrf = self.caller.as_ref().and_then(|c| match &c.via {
            auth::Via::Session { csrf } => Some(csrf.clone()),
            auth::Via::Token => None,
        });
        if let Some(o) = ctx.as_object_mut() {
            o.insert("tr".into(), json!(i18n::words(self.lang)));
            o.insert("lang_tag".into(), json!(self.lang.tag()));
            if self.lang == i18n::Lang::Zh {
                o.insert("error_words".into(), json!(error_words::chinese()));
            }
            o.insert("other_lang".into(), json!(self.lang.other().code()));
            o.insert("user".into(), json!(user));
            o.insert("csrf".into(), json!(csrf));
            // The administration link: users for those who manage them, else the audit trail.
            let may = |a| self.caller.as_ref().is_some_and(|c| c.require(a).is_ok());
            let admin = if may(strata_core::access::Action::ManageUsers) {
                Some("/admin/users")
            } else {
                may(strata_core::access::Action::ViewAudit).then_some("/admin/audit")
            };
            o.insert("admin_home".into(), json!(admin));
        }
        let html = templates().get_template(name).and_then(|t| t.render(&ctx));
        let mut res = match html {
            Ok(h) => Html(h).into_response(),
            Err(e) => {
                tracing::error!(template = name, error = %e, "rendering a page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered; see the server log").into_response()
            }
        };
        if self.set_lang {
            let c = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", self.lang.code());
            if let Ok(v) = HeaderValue::from_str(&c) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        res
    }

    /// A caller who may take `action`: else the login redirect, or 403 `forbidden`.
    #[allow(clippy::result_large_err)]
    pub fn allowed(&self, here: &str, action: strata_core::access::Action) -> Result<&Caller, Response> {
        let caller = self.require(here).map_err(IntoResponse::into_response)?;
        caller.require(action).map_err(IntoResponse::into_response)?;
        Ok(caller)
    }

    /// The caller, or a redirect to the login page that comes back to `here`.
    pub fn require(&self, here: &str) -> Result<&Caller, Redirect> {
        self.caller.as_ref().ok_or_else(|| Redirect::to(&format!("/login?next={}", urlencode(here))))
    }
}

/// Display names by login, of every user given (a departed owner still holds customers).
fn owner_names(users: &[strata_core::customer::User]) -> std::collections::HashMap<&str, &str> {
    users.iter().map(|u| (u.login.as_str(), u.display_name.as_str())).collect()
}

/// Puts the owner's display name (`owner_name`) beside the login (`owner`) of a customer's JSON.
fn name_owner(c: &mut Value, names: &std::collections::HashMap<&str, &str>) {
    let name = c["owner"].as_str().and_then(|l| names.get(l)).copied();
    if let (Value::Object(m), Some(name)) = (c, name) {
        m.insert("owner_name".into(), Value::from(name));
    }
}

/// A query field's text, trimmed; None when absent or empty (an empty form field is no filter).
fn filled(s: &Option<String>) -> Option<String> {
    s.as_ref().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// A `next` target that stays on this site.
fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/customers"
    }
}

/// The client's address ("local" in-process, without a socket).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<ClientAddress, Self::Rejection> {
        Ok(ClientAddress(auth::address_of(&parts.extensions)))
    }
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
    next: Option<String>,
}

async fn login_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    ClientAddress(addr): ClientAddress,
    Query(q): Query<LangQuery>,
) -> Response {
    let page = Page::of(&s, &headers, q.lang.as_deref(), addr.clone()).await;
    // The first run: nobody can log in yet, so the page asks for the first admin instead.
    let setup = s.store.has_admin_login().await.map(|has| !has).unwrap_or(false);
    page.render("login.html", json!({"next": local_path(q.next.as_deref().unwrap_or("/customers")), "error": null, "setup": setup}))
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(State(s): State<AppState>, headers: HeaderMap, ClientAddress(addr): ClientAddress, Form(f): Form<LoginForm>) -> Response {
    let page = Page::of(&s, &headers, None, addr.clone()).await;
    if auth::cross_site(&headers) {
        return (StatusCode::FORBIDDEN, "a login form from another site is refused").into_response();
    }
    let next = local_path(&f.next).to_string();
    match crate::accounts::login(&s.store, f.login.trim(), &f.password, &addr).await {
        Ok(user) => {
            let audited =
                s.store.append_audit(&AuditEntry { actor: &user.login, action: "login", address: Some(&addr), ..Default::default() }).await;
            let session = auth::new_session(&s, &user, &headers).await;
            match (audited, session) {
                (Ok(()), Ok((cookie, _))) => {
                    let mut res = Redirect::to(&next).into_response();
                    if let Ok(v) = HeaderValue::from_str(&cookie) {
                        res.headers_mut().insert(header::SET_COOKIE, v);
                    }
                    res
                }
                (Err(e), _) => crate::server::ApiError::from(e).into_response(),
                (_, Err(e)) => e.into_response(),
            }
        }
        Err(e) => {
            let detail = json!({"reason": e.code()});
            let _ = s
                .store
                .append_audit(&AuditEntry {
                    actor: f.login.trim(),
                    action: "login.failed",
                    detail: Some(detail),
                    address: Some(&addr),
                    ..Default::default()
                })
                .await;
            let message = match e {
                crate::accounts::LoginError::Throttled(wait) => i18n::word(page.lang, "throttled").replace("{s}", &wait.to_string()),
                crate::accounts::LoginError::Invalid => i18n::word(page.lang, "bad_login").to_string(),
                other => other.to_string(),
            };
            let mut res = page.render("login.html", json!({"next": next, "error": message}));
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            res
        }
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(State(s): State<AppState>, headers: HeaderMap, ClientAddress(addr): ClientAddress, Form(f): Form<LogoutForm>) -> Response {
    let page = Page::of(&s, &headers, None, addr.clone()).await;
    let Some(caller) = page.caller.as_ref() else { return Redirect::to("/login").into_response() };
    let ok = matches!(&caller.via, auth::Via::Session { csrf } if auth::constant_eq(csrf.as_bytes(), f.csrf.as_bytes()));
    if !ok || auth::cross_site(&headers) {
        return (StatusCode::FORBIDDEN, "this logout lacks the session's CSRF token").into_response();
    }
    if let Some(secret) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        if let Err(e) = s.store.delete_session(&crate::accounts::secret_hash(secret)).await {
            return crate::server::ApiError::from(e).into_response();
        }
    }
    let _ = caller.audit(&s, "logout", None, None).await;
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::cleared_cookie()) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
