//! The opaque handle types C sees, and what each one holds.

use std::ffi::CString;
use std::sync::{Arc, Mutex, OnceLock};

use authgate_core::{
    AuthorizationRequest, Client, ClientBuilder, DeviceAuthorization, TokenManager, TokenSet,
    TokenStore,
};

use crate::boundary::{Field, Kind, SecretCString};

/// A client configuration being assembled: a preset plus setters (or a JSON string).
/// Turned into an `authgate_client` by `authgate_client_new`.
///
/// Threads: the setters lock the configuration, so it may be used from several threads
/// at once (though building one configuration from two threads is rarely meaningful).
pub struct authgate_config {
    _opaque: [u8; 0],
}

/// An OAuth client for one authorization server: immutable, with one HTTP agent whose
/// connections are reused. Safe to use from several threads at once.
pub struct authgate_client {
    _opaque: [u8; 0],
}

/// An authorization request: the URL to open in the browser, and the `state`, `nonce`
/// and PKCE verifier to keep until the redirect comes back. Immutable; safe to use from
/// several threads at once.
pub struct authgate_authorization {
    _opaque: [u8; 0],
}

/// The tokens an authorization server issued. Immutable; safe to use from several
/// threads at once. Holds secrets: free it as soon as it is no longer needed (its
/// memory is wiped).
pub struct authgate_token_set {
    _opaque: [u8; 0],
}

/// A token request running on its own thread, started by one of the
/// `authgate_client_*_start` functions. Safe to poll, wait on and cancel from several
/// threads at once.
pub struct authgate_operation {
    _opaque: [u8; 0],
}

/// Where a token manager keeps its token set: in memory, or in a file shared safely by
/// several processes. Immutable; safe to use from several threads at once. A manager
/// keeps its own reference, so the store may be freed once the manager is made.
pub struct authgate_store {
    _opaque: [u8; 0],
}

/// A token manager: a valid access token on demand, for the whole process. Refreshes
/// once however many threads ask, saves every new token set to its store before handing
/// it out. Safe to use from several threads at once (that is its purpose).
pub struct authgate_manager {
    _opaque: [u8; 0],
}

/// A device sign-in in progress (RFC 8628): the code to show the user, where to enter
/// it, and the secret device code to poll with. Safe to use from several threads at once.
pub struct authgate_device {
    _opaque: [u8; 0],
}

pub(crate) struct ConfigInner {
    pub builder: Mutex<ClientBuilder>,
}

pub(crate) struct ClientInner {
    pub client: Client,
    pub client_id: CString,
    pub token_endpoint: CString,
    pub authorization_endpoint: Option<CString>,
}

pub(crate) struct AuthorizationInner {
    /// Its `url` moved out into the field below.
    pub request: AuthorizationRequest,
    /// The URL with a NUL byte appended, handed out as it is: no copy, and not wiped (it
    /// is no secret: it goes to the browser).
    pub url: String,
    /// The other strings are made on first read: most programs read only the URL and the
    /// verifier, and each C string costs an allocation and a copy.
    pub state: OnceLock<Field>,
    pub nonce: OnceLock<Field>,
    pub pkce_verifier: OnceLock<Field>,
    pub redirect_uri: OnceLock<Field>,
}

pub(crate) struct TokenSetInner {
    pub tokens: TokenSet,
    pub access_token: Field,
    pub token_type: Field,
    pub refresh_token: Field,
    pub scope: Field,
    pub id_token: Field,
    pub authorization_header: Field,
    pub raw_json: SecretCString,
    pub warnings_json: SecretCString,
}

pub(crate) struct StoreInner {
    pub store: Arc<dyn TokenStore>,
}

pub(crate) struct ManagerInner {
    pub manager: TokenManager,
    /// The C callback `authgate_manager_set_password_credentials` installs (see manager.rs).
    pub credentials: Arc<Mutex<Option<crate::manager::Credentials>>>,
    /// The C hook `authgate_manager_set_tokens_changed_callback` installs (see manager.rs).
    pub tokens_changed: Arc<Mutex<Option<crate::manager::TokensChanged>>>,
}

pub(crate) struct DeviceInner {
    /// Keeps its own polling interval (raised on `slow_down`).
    pub auth: DeviceAuthorization,
    pub user_code: Field,
    pub verification_uri: Field,
    pub verification_uri_complete: Field,
}

/// Declares the [`Kind`] of each handle type, and `kind_name` to name a magic number.
macro_rules! kinds {
    ($($name:ident: $magic:literal => $inner:ty,)*) => {
        $(impl Kind for $name {
            const MAGIC: u32 = $magic;
            const NAME: &'static str = stringify!($name);
            type Inner = $inner;
        })*

        /// The handle type a magic number belongs to.
        pub(crate) fn kind_name(magic: u32) -> Option<&'static str> {
            [$(($magic, stringify!($name))),*]
                .into_iter()
                .find_map(|(m, name)| (m == magic).then_some(name))
        }
    };
}

// Each handle type's magic number (the first field of its memory, see `boundary`) and
// the value behind it.
kinds! {
    authgate_config: 0x4147_4301 => ConfigInner,
    authgate_client: 0x4147_4302 => ClientInner,
    authgate_authorization: 0x4147_4303 => AuthorizationInner,
    authgate_token_set: 0x4147_4304 => TokenSetInner,
    authgate_operation: 0x4147_4305 => crate::operation::OperationInner,
    authgate_store: 0x4147_4306 => StoreInner,
    authgate_manager: 0x4147_4307 => ManagerInner,
    authgate_device: 0x4147_4308 => DeviceInner,
}
