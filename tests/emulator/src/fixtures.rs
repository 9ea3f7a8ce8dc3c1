//! The registered clients, users, paths and defaults of the emulator.
//!
//! Every dialect with an authorize endpoint has one test user who is logged in and
//! approves at once: the authorize request is answered with
//! `302 Location: <redirect_uri>?code=<one-time code>&state=<state>` (state only if sent).
//! The redirect URI must equal [`REDIRECT_URI`] exactly.
//!
//! Errors before the redirect URI is validated (unknown client, wrong redirect URI,
//! repeated parameter) are a `400` JSON answer, never a redirect; errors after it
//! (wrong `response_type`, scope, missing `state`/`nonce`, bad PKCE method) are a
//! redirect back carrying `error=…` (and `state`).

/// The only redirect URI registered for every client (exact match required).
pub const REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// The `sub` of the test user behind the code flows (Taxcom, Kontur, GearCode).
pub const TEST_USER_SUBJECT: &str = "user-1";

/// How long an authorization code stays valid, in seconds. Codes are also one-time.
pub const CODE_LIFETIME_SECS: u64 = 60;

/// The protected resource: `GET /api/me` with `Authorization: Bearer <access token>`
/// answers `200 {"sub":…,"dialect":…}` for an issued, unexpired token, else `401`.
pub const RESOURCE_PATH: &str = "/api/me";

/// Prefix of the control API (not counted, never faulted).
pub const CONTROL_PREFIX: &str = "/_emulator/";

// --- Taxcom (IdentityServer) -------------------------------------------------------

/// Taxcom authorize endpoint (`client_id`, `response_type=code`, `scope=api`, and the
/// redirect in `redirect_uri` or `redirect_url`).
pub const TAXCOM_AUTHORIZE_PATH: &str = "/core/connect/authorize";
/// Taxcom token endpoint (client authentication by HTTP Basic only; id and secret are
/// URL-decoded after base64 decoding, as IdentityServer does).
pub const TAXCOM_TOKEN_PATH: &str = "/core/connect/token";
/// Taxcom client id.
pub const TAXCOM_CLIENT_ID: &str = "taxcom-app";
/// Taxcom client secret.
pub const TAXCOM_CLIENT_SECRET: &str = "taxcom-secret";
/// Taxcom's only scope.
pub const TAXCOM_SCOPE: &str = "api";
/// Taxcom's default `expires_in` (seconds; deliberately huge, as in their document).
pub const TAXCOM_EXPIRES_IN: u64 = 3_600_000;

// --- Kontur.Extern (OpenID Connect) ------------------------------------------------

/// Kontur authorize endpoint (`response_type=code`, `client_id`, `scope` containing
/// `openid` and `extern.api`, `redirect_uri`, `state` and `nonce` both required).
pub const KONTUR_AUTHORIZE_PATH: &str = "/connect/authorize";
/// Kontur token endpoint (client_secret_post or Basic, never both at once).
pub const KONTUR_TOKEN_PATH: &str = "/connect/token";
/// Kontur OpenID discovery document.
pub const KONTUR_DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Kontur JWKS (one EC P-256 key, generated at start).
pub const KONTUR_JWKS_PATH: &str = "/.well-known/openid-configuration/jwks";
/// Kontur client id (the service name).
pub const KONTUR_CLIENT_ID: &str = "kontur-service";
/// Kontur client secret (the api-key).
pub const KONTUR_CLIENT_SECRET: &str = "kontur-api-key";
/// The scope Kontur clients ask for. Only these two scopes are known.
pub const KONTUR_SCOPE: &str = "openid extern.api";
/// The `kid` of the id_token signing key.
pub const KONTUR_KEY_ID: &str = "emulator-1";
/// Kontur's default `expires_in` (seconds). The id_token always lives 3600 s.
pub const KONTUR_EXPIRES_IN: u64 = 3600;

// --- GearCode GC.AUTH --------------------------------------------------------------

/// GearCode authorize endpoint (`redirect_uri`, `client_id`, `response_type=code`).
pub const GEARCODE_AUTHORIZE_PATH: &str = "/oauth/authorize";
/// GearCode token endpoint (client_secret_post only; `resource_id` equal to the client
/// id is required on every grant). Grants: authorization_code, refresh_token (rotating),
/// client_credentials.
pub const GEARCODE_TOKEN_PATH: &str = "/oauth/token";
/// GearCode client id (also the required `resource_id`).
pub const GEARCODE_CLIENT_ID: &str = "gearcode-client";
/// GearCode client secret.
pub const GEARCODE_CLIENT_SECRET: &str = "gearcode-secret";
/// GearCode's default `expires_in` (seconds).
pub const GEARCODE_EXPIRES_IN: u64 = 899;

// --- CUBA (Spring Security OAuth2) -------------------------------------------------

/// CUBA token endpoint (HTTP Basic only, decoded raw; password and refresh grants).
pub const CUBA_TOKEN_PATH: &str = "/app/rest/v2/oauth/token";
/// CUBA's default REST client id.
pub const CUBA_CLIENT_ID: &str = "client";
/// CUBA's default REST client secret.
pub const CUBA_CLIENT_SECRET: &str = "secret";
/// A second CUBA REST client whose secret only works when sent raw in the Basic header
/// (not form-encoded first).
pub const CUBA_RAW_CLIENT_ID: &str = "pos-terminal";
/// The secret of [`CUBA_RAW_CLIENT_ID`]: holds `@`, `+` and `%`.
pub const CUBA_RAW_CLIENT_SECRET: &str = "p@ss+word%";
/// A plain CUBA user.
pub const CUBA_ADMIN_USERNAME: &str = "admin";
/// The password of [`CUBA_ADMIN_USERNAME`].
pub const CUBA_ADMIN_PASSWORD: &str = "admin";
/// A CUBA user with a Cyrillic login.
pub const CUBA_CYRILLIC_USERNAME: &str = "кассир";
/// The password of [`CUBA_CYRILLIC_USERNAME`]: `&`, `=`, `+`, `%`, spaces and `ё`.
pub const CUBA_CYRILLIC_PASSWORD: &str = "p&s=w+o%rd 1 ё";
/// The scope CUBA grants.
pub const CUBA_SCOPE: &str = "rest-api";
/// CUBA's default `expires_in` (seconds).
pub const CUBA_EXPIRES_IN: u64 = 43198;

/// CUBA REST clients, (id, secret).
pub const CUBA_CLIENTS: [(&str, &str); 2] = [
    (CUBA_CLIENT_ID, CUBA_CLIENT_SECRET),
    (CUBA_RAW_CLIENT_ID, CUBA_RAW_CLIENT_SECRET),
];

/// CUBA users, (login, password).
pub const CUBA_USERS: [(&str, &str); 2] = [
    (CUBA_ADMIN_USERNAME, CUBA_ADMIN_PASSWORD),
    (CUBA_CYRILLIC_USERNAME, CUBA_CYRILLIC_PASSWORD),
];
