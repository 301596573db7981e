//! Who is calling: a session cookie (HttpOnly, SameSite=Strict, CSRF token required on every
//! state-changing request, cross-site origins refused) or an API token (`Authorization: Bearer`).
//! Login with throttling, logout, the first-run admin setup, and the caller's permissions.

use std::net::SocketAddr;

use axum::{
    extract::{rejection::JsonRejection, ConnectInfo, FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};
use strata_core::{
    access::{self, Action},
    customer::{Role, User, UserInput},
    label::Labelled,
};
use strata_store::AuditEntry;

use super::{error::json_rejection, ApiError, AppState};
use crate::accounts::{self, LoginError};

pub const SESSION_COOKIE: &str = "strata_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a browser session lasts.
const SESSION_HOURS: i64 = 12;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Session { csrf: String },
    Token,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
    pub address: String,
    /// The access rules in force for this request.
    pub policy: std::sync::Arc<strata_core::access_policy::Policy>,
}

impl Caller {
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// Refuses, with 403 `forbidden`, an action the caller's role may not take.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.policy.allows(self.user.role, action) {
            return Ok(());
        }
        let (role, what) = (self.user.role.code(), action.code());
        let role_zh = strata_core::label::Labelled::label_zh(self.user.role);
        let what_zh = crate::web::i18n::named(crate::web::i18n::Lang::Zh, "action_", what).unwrap_or(what);
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("the role {role} may not {}", what.replace('_', " ")))
            .with_details(json!({"message_zh": format!("角色「{role_zh}」没有「{what_zh}」权限")})))
    }

    /// Appends an audit entry naming the caller (a failure to audit fails the request).
    pub async fn audit(&self, s: &AppState, action: &str, object: Option<String>, detail: Option<Value>) -> Result<(), ApiError> {
        let e = AuditEntry { actor: &self.user.login, action, object, detail, address: Some(&self.address), ..Default::default() };
        s.store.append_audit(&e).await?;
        Ok(())
    }
}

impl Caller {
    /// An audit entry for a change to one object, with its before- and after-image.
    pub async fn audit_change(
        &self,
        s: &AppState,
        action: &str,
        object: String,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), ApiError> {
        let e = AuditEntry {
            actor: &self.user.login,
            action,
            object: Some(object),
            before,
            after,
            address: Some(&self.address),
            ..Default::default()
        };
        s.store.append_audit(&e).await?;
        Ok(())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(unauthenticated)
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in first (POST /api/v1/auth/login) or send an API token")
        .with_zh("请先登录（POST /api/v1/auth/login），或发送 API 令牌")
}

pub(crate) fn address_of(parts_ext: &axum::http::Extensions) -> String {
    parts_ext.get::<ConnectInfo<SocketAddr>>().map_or_else(|| "local".to_string(), |c| c.0.ip().to_string())
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A browser request from another site: its Origin (or, without one, its Referer) names a
/// host other than the one it was sent to.
pub(crate) fn cross_site(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let from = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    match from {
        None => false,
        Some(o) => {
            let rest = o.split_once("://").map_or(o, |(_, r)| r);
            rest.split('/').next().unwrap_or("") != host
        }
    }
}

/// The middleware in front of every protected route: finds the caller or answers 401, and
/// checks CSRF on cookie-authenticated writes.
pub async fn authenticate(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let (headers, method, address) = (req.headers().clone(), req.method().clone(), address_of(req.extensions()));
    match identify(&s, &headers, &method, address).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn identify(s: &AppState, headers: &HeaderMap, method: &Method, address: String) -> Result<Caller, ApiError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let token = auth.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "the Authorization header must be `Bearer <API token>`")
                .with_zh("Authorization 头应写成 `Bearer <API 令牌>`")
        })?;
        let user = s.store.token_user(&accounts::secret_hash(token.trim())).await?.ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "this API token is unknown or revoked")
                .with_zh("这个 API 令牌不存在或已撤销")
        })?;
        return Ok(Caller { user, via: Via::Token, address, policy: s.policy.get(&s.store).await? });
    }
    let secret = cookie(headers, SESSION_COOKIE).ok_or_else(unauthenticated)?;
    let (user, csrf) = s.store.session_user(&accounts::secret_hash(secret)).await?.ok_or_else(|| {
        ApiError::new(StatusCode::UNAUTHORIZED, "session_expired", "the session has ended; log in again").with_zh("登录已过期；请重新登录")
    })?;
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if cross_site(headers) || !constant_eq(sent.as_bytes(), csrf.as_bytes()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "this request lacks the session's CSRF token or comes from another site",
            )
            .with_zh("请求缺少本次登录的校验令牌，或来自其他网站；请刷新页面后重试"));
        }
    }
    Ok(Caller { user, via: Via::Session { csrf }, address, policy: s.policy.get(&s.store).await? })
}

pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Routes that work without a caller.
pub fn public_routes() -> Router<AppState> {
    Router::new().route("/auth/login", post(login)).route("/auth/setup", get(setup_needed).post(setup))
}

/// Routes for a logged-in caller.
pub fn routes() -> Router<AppState> {
    Router::new().route("/auth/logout", post(logout)).route("/auth/me", get(me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    login: String,
    password: String,
}

fn secure(s: &AppState, headers: &HeaderMap) -> bool {
    s.config.secure_cookies || headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https")
}

/// A new session for `user`: the `Set-Cookie` value and the CSRF token pages send back.
pub(crate) async fn new_session(s: &AppState, user: &User, headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let secret = accounts::new_secret("");
    let csrf = accounts::new_secret("");
    let expires = chrono::Utc::now() + chrono::Duration::hours(SESSION_HOURS);
    s.store.create_session(&accounts::secret_hash(&secret), user.id, &csrf, expires).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        SESSION_HOURS * 3600,
        if secure(s, headers) { "; Secure" } else { "" }
    );
    Ok((cookie, csrf))
}

/// The `Set-Cookie` value that ends a session in the browser.
pub(crate) fn cleared_cookie() -> String {
    format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// Starts a session: the cookie, and the CSRF token the page sends back on writes.
async fn start_session(s: &AppState, user: &User, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (cookie, csrf) = new_session(s, user, headers).await?;
    let mut res = Json(json!({"user": user, "csrf_token": csrf})).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn login(State(s): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let address = address_of(req.extensions());
    let headers = req.headers().clone();
    let body: Result<Json<LoginBody>, JsonRejection> =
        <Json<LoginBody> as axum::extract::FromRequest<AppState>>::from_request(req, &s).await;
    let Json(b) = body.map_err(json_rejection)?;
    match accounts::login(&s.store, b.login.trim(), &b.password, &address).await {
        Ok(user) => {
            let e = AuditEntry { actor: &user.login, action: "login", address: Some(&address), ..Default::default() };
            s.store.append_audit(&e).await?;
            start_session(&s, &user, &headers).await
        }
        Err(err) => {
            if !matches!(err, LoginError::Store(_)) {
                let detail = json!({"reason": err.code()});
                let e = AuditEntry {
                    actor: b.login.trim(),
                    action: "login.failed",
                    detail: Some(detail),
                    address: Some(&address),
                    ..Default::default()
                };
                s.store.append_audit(&e).await?;
            }
            let status = match &err {
                LoginError::Invalid => StatusCode::UNAUTHORIZED,
                LoginError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
                LoginError::Store(_) | LoginError::Hash(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let e = ApiError::new(status, err.code(), err.to_string());
            Err(match err {
                LoginError::Throttled(wait) => {
                    e.with_details(json!({"retry_after_s": wait, "message_zh": format!("该地址登录失败次数过多；请 {wait} 秒后再试")}))
                }
                LoginError::Invalid => e.with_details(json!({"message_zh": "用户名或密码错误"})),
                _ => e,
            })
        }
    }
}

async fn logout(State(s): State<AppState>, caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        s.store.delete_session(&accounts::secret_hash(secret)).await?;
    }
    caller.audit(&s, "logout", None, None).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&cleared_cookie()) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn me(caller: Caller) -> Json<Value> {
    let allowed: Vec<&str> = Action::ALL.iter().filter(|a| caller.policy.allows(caller.role(), **a)).map(|a| a.code()).collect();
    let csrf = match &caller.via {
        Via::Session { csrf } => Some(csrf.clone()),
        Via::Token => None,
    };
    Json(json!({"user": caller.user, "scope": caller.policy.scope(caller.role()), "allowed": allowed, "csrf_token": csrf}))
}

async fn setup_needed(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"needed": !s.store.has_admin_login().await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupBody {
    login: String,
    display_name: Option<String>,
    password: String,
}

/// The first run: creates the first admin (only while no admin can log in) and logs them in.
async fn setup(State(s): State<AppState>, headers: HeaderMap, body: Result<Json<SetupBody>, JsonRejection>) -> Result<Response, ApiError> {
    let Json(b) = body.map_err(json_rejection)?;
    if s.store.has_admin_login().await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_set_up", "an admin exists already; log in instead")
            .with_zh("已经有管理员了；请直接登录"));
    }
    access::check_password(&b.login, &b.password)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", m.clone()).with_zh(format!("密码太弱（{m}）")))?;
    let input = UserInput {
        display_name: b.display_name.unwrap_or_else(|| b.login.clone()),
        login: b.login,
        email: None,
        team: None,
        role: Role::Admin,
    };
    let user = s.store.create_user(&input).await?;
    accounts::set_password(&s.store, &user, &b.password)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "password_hash_failed", e.to_string()))?;
    let e = AuditEntry { actor: &user.login, action: "setup", object: Some(format!("user:{}", user.id)), ..Default::default() };
    s.store.append_audit(&e).await?;
    start_session(&s, &user, &headers).await
}
