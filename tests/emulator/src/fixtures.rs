//! The registered clients, users, paths and defaults of the emulator.
//!
//! Every dialect with an authorize endpoint has one test user who is logged in and
//! approves at once: the authorize request is answered with
//! `302 Location: <redirect_uri>?code=<one-time code>&state=<state>` (state only if sent).
//! The redirect URI must equal [`REDIRECT_URI`], except that a loopback URI may name any
//! port (RFC 8252 §7.3): `http://127.0.0.1:PORT/callback` and `http://[::1]:PORT/callback`
//! match too. The token request must repeat exactly the URI sent at authorize.
//!
//! In interactive mode (`Emulator::set_interactive`) the authorize request is answered
//! with a login form instead; the user signs in as [`TEST_USER_LOGIN`] /
//! [`TEST_USER_PASSWORD`] (a `POST` to [`LOGIN_PATH`]) and gets the same redirect.
//!
//! Errors before the redirect URI is validated (unknown client, wrong redirect URI,
//! repeated parameter) are a `400` JSON answer, never a redirect; errors after it
//! (wrong `response_type`, scope, missing `state`/`nonce`, bad PKCE method) are a
//! redirect back carrying `error=…` (and `state`).

/// The only redirect URI registered for every client (exact match required).
pub const REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// The `sub` of the test user behind the code flows (Taxcom, Kontur, GearCode).
pub const TEST_USER_SUBJECT: &str = "user-1";

/// The test user's login on the login form (interactive mode and the device page).
pub const TEST_USER_LOGIN: &str = "user-1";

/// The test user's password on the login form.
pub const TEST_USER_PASSWORD: &str = "correct horse";

/// The test user's `name` claim (id_token and UserInfo).
pub const TEST_USER_NAME: &str = "Тестовый Пользователь";

/// The test user's `email` claim (id_token and UserInfo).
pub const TEST_USER_EMAIL: &str = "user1@example.test";

/// The login form posts here (`username`, `password`, and hidden fields carrying the
/// authorization request or the device user code). Shared by every dialect.
pub const LOGIN_PATH: &str = "/login";

/// How long an authorization code stays valid, in seconds. Codes are also one-time.
pub const CODE_LIFETIME_SECS: u64 = 60;

/// The protected resource: `GET /api/me` with `Authorization: Bearer <access token>`
/// answers `200 {"sub":…,"dialect":…}` for an issued, unexpired, unrevoked token, else
/// `401`.
pub const RESOURCE_PATH: &str = "/api/me";

/// The mutual TLS provider (RFC 8705, `Emulator::start_mtls`): its issuer path (the
/// discovery document is under it), its token endpoint (client credentials, authenticated
/// by the client certificate `tls/client.pem` with `tls_client_auth`), and its one client.
pub const MTLS_ISSUER_PATH: &str = "/mtls";
/// See [`MTLS_ISSUER_PATH`].
pub const MTLS_DISCOVERY_PATH: &str = "/mtls/.well-known/openid-configuration";
/// See [`MTLS_ISSUER_PATH`].
pub const MTLS_TOKEN_PATH: &str = "/mtls/token";
/// See [`MTLS_ISSUER_PATH`].
pub const MTLS_CLIENT_ID: &str = "mtls-client";

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
/// Kontur token endpoint (client_secret_post or Basic, never both at once, or a JWT
/// client assertion: `private_key_jwt` with [`CLIENT_RSA_KEY_PEM`] or
/// [`CLIENT_EC_KEY_PEM`], `client_secret_jwt` with [`KONTUR_CLIENT_SECRET`]). Grants:
/// authorization_code, refresh_token (when `offline_access` was granted; rotating), and
/// [`DEVICE_CODE_GRANT_TYPE`]. The answer carries an id_token whenever `openid` was
/// granted.
pub const KONTUR_TOKEN_PATH: &str = "/connect/token";
/// Kontur OpenID discovery document.
pub const KONTUR_DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Kontur's pushed authorization request endpoint (RFC 9126): the authorize parameters,
/// with the client authenticated as at the token endpoint, answered `201
/// {"request_uri":…,"expires_in":60}`. The `request_uri` is good for one authorize
/// request within [`PAR_LIFETIME_SECS`].
pub const KONTUR_PAR_PATH: &str = "/connect/par";
/// How long a pushed request's `request_uri` stays valid, in seconds.
pub const PAR_LIFETIME_SECS: u64 = 60;
/// The Kontur client's registered RSA key (PKCS#8 PEM; not a secret, a test fixture):
/// its public half verifies `private_key_jwt` assertions signed RS256 or PS256.
pub const CLIENT_RSA_KEY_PEM: &str = include_str!("../keys/client-rsa.pem");
/// [`CLIENT_RSA_KEY_PEM`]'s file, for tests that configure a key by path.
pub const CLIENT_RSA_KEY_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys/client-rsa.pem");
/// The Kontur client's registered EC P-256 key (PKCS#8 PEM), for ES256 assertions.
pub const CLIENT_EC_KEY_PEM: &str = include_str!("../keys/client-ec.pem");
/// [`CLIENT_EC_KEY_PEM`]'s file.
pub const CLIENT_EC_KEY_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/keys/client-ec.pem");
/// [`CLIENT_RSA_KEY_PEM`] as a private JWK (RFC 7517; kid `kontur-rsa-jwk`, alg RS256),
/// as providers' consoles hand it out.
pub const CLIENT_RSA_JWK: &str = include_str!("../keys/client-rsa.jwk.json");
/// [`CLIENT_RSA_JWK`]'s file.
pub const CLIENT_RSA_JWK_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/keys/client-rsa.jwk.json");
/// [`CLIENT_EC_KEY_PEM`] as a JWK Set holding one private key (kid `kontur-ec-jwk`, no alg).
pub const CLIENT_EC_JWKS: &str = include_str!("../keys/client-ec.jwks.json");
/// [`CLIENT_EC_JWKS`]'s file.
pub const CLIENT_EC_JWKS_PATH: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/keys/client-ec.jwks.json");
/// Kontur JWKS: the fixed RSA key ([`KONTUR_RSA_KEY_ID`]) and the current EC P-256 key
/// (generated at start, [`KONTUR_KEY_ID`] until rotated).
pub const KONTUR_JWKS_PATH: &str = "/.well-known/openid-configuration/jwks";
/// Kontur UserInfo endpoint (`GET` or `POST` with `Authorization: Bearer <access token>`
/// of a Kontur token, or `DPoP <access token>` and a proof for a DPoP-bound one, checked
/// as at [`RESOURCE_PATH`]): `{"sub","name","email"}`, else `401`.
pub const KONTUR_USERINFO_PATH: &str = "/connect/userinfo";
/// Kontur revocation endpoint (RFC 7009): form `token`, optional `token_type_hint`,
/// client authentication as at the token endpoint (`401 invalid_client` if bad).
/// Revoking a refresh token also revokes the access tokens of the same grant.
pub const KONTUR_REVOCATION_PATH: &str = "/connect/revocation";
/// Kontur introspection endpoint (RFC 7662): form `token`, client authentication as at
/// the token endpoint.
pub const KONTUR_INTROSPECTION_PATH: &str = "/connect/introspect";
/// Kontur device authorization endpoint (RFC 8628 §3.1): client authentication as at
/// the token endpoint, optional `scope` (default [`KONTUR_SCOPE`]).
pub const KONTUR_DEVICE_AUTHORIZATION_PATH: &str = "/connect/deviceauthorization";
/// Kontur client id (the service name).
pub const KONTUR_CLIENT_ID: &str = "kontur-service";
/// Kontur client secret (the api-key).
pub const KONTUR_CLIENT_SECRET: &str = "kontur-api-key";
/// The scope Kontur clients ask for. Both are required at authorize; the only other
/// known scope is [`KONTUR_OFFLINE_SCOPE`].
pub const KONTUR_SCOPE: &str = "openid extern.api";
/// The optional third Kontur scope: when granted, token answers carry a
/// `refresh_token` (rotated on every refresh grant, as IdentityServer does by default).
pub const KONTUR_OFFLINE_SCOPE: &str = "offline_access";
/// The `kid` of the first EC P-256 (ES256) key. Rotation replaces it with `emulator-2`,
/// `emulator-3`, …
pub const KONTUR_KEY_ID: &str = "emulator-1";
/// The `kid` of the fixed RSA key (RS256, the default id_token algorithm). Never rotated.
pub const KONTUR_RSA_KEY_ID: &str = "emulator-rsa-1";
/// How long an id_token lives, in seconds (`exp - iat`).
pub const ID_TOKEN_LIFETIME_SECS: u64 = 3600;
/// The `nonce` of an id_token hit by the `IdTokenWrongNonce` fault.
pub const ID_TOKEN_FAULT_NONCE: &str = "emulator-wrong-nonce";
/// The `aud` and `azp` of an id_token hit by the `IdTokenWrongAudience` fault.
pub const ID_TOKEN_FAULT_AUDIENCE: &str = "another-client";
/// The `iss` of an id_token hit by the `IdTokenWrongIssuer` fault.
pub const ID_TOKEN_FAULT_ISSUER: &str = "https://issuer.invalid";
/// The `kid` of the throwaway key behind the `IdTokenUnknownKid` fault.
pub const ID_TOKEN_FAULT_KEY_ID: &str = "emulator-unknown";

// --- Device authorization grant (RFC 8628, Kontur) --------------------------------

/// The `grant_type` of a device code poll at [`KONTUR_TOKEN_PATH`].
pub const DEVICE_CODE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The verification page (`verification_uri`): asks for the user code, then shows the
/// login form; `?user_code=…` (`verification_uri_complete`) skips the first step.
pub const DEVICE_VERIFICATION_PATH: &str = "/device";
/// The default lifetime of a device code, in seconds.
pub const DEVICE_EXPIRES_IN: u64 = 300;
/// The default polling `interval`, in seconds. RFC 8628 says 5; 1 keeps tests fast.
/// Polling sooner answers `slow_down` and adds 1 s (RFC 8628: 5 s) to that code's
/// interval, again for test speed.
pub const DEVICE_INTERVAL: u64 = 1;
/// The letters of user codes (`ABCD-EFGH`): consonants only, so no words are spelled
/// and none is confused with a digit (RFC 8628 §6.1).
pub const USER_CODE_ALPHABET: &str = "BCDFGHJKLMNPQRSTVWXZ";
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
/// A CUBA user who signs in with a three-digit cashier PIN.
pub const CUBA_PIN_USERNAME: &str = "cashier-7";
/// The PIN of [`CUBA_PIN_USERNAME`]: too short to be found and replaced in free text.
pub const CUBA_PIN_PASSWORD: &str = "739";
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
pub const CUBA_USERS: [(&str, &str); 3] = [
    (CUBA_ADMIN_USERNAME, CUBA_ADMIN_PASSWORD),
    (CUBA_CYRILLIC_USERNAME, CUBA_CYRILLIC_PASSWORD),
    (CUBA_PIN_USERNAME, CUBA_PIN_PASSWORD),
];
