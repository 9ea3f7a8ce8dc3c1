//! Builder steps for optional values, shared by the C and Python layers (which receive
//! every option as "given or not").

/// Applies builder setters to optional values: a setter runs only when a value was
/// given ([`maybe`](Self::maybe)), or once per item ([`each`](Self::each)). Implemented
/// for every type; the C and Python layers use it on the core's builders.
///
/// ```
/// use authgate::{BuilderSteps, Client, Provider};
/// let client = Client::builder(Provider::Generic)
///     .base_url("https://auth.example.com")
///     .client_id("pos-42")
///     .auth_method(authgate::AuthMethod::None)
///     .build()?;
/// let state: Option<&str> = None;
/// let request = client
///     .authorization_url()
///     .maybe(state, |b, s| b.state(s))
///     .each([("prompt", "login")], |b, (k, v)| b.param(k, v))
///     .build()?;
/// assert!(request.url.contains("prompt=login"));
/// # Ok::<(), authgate::Error>(())
/// ```
pub trait BuilderSteps: Sized {
    /// `set(self, value)` when `value` is given, else `self` unchanged.
    fn maybe<T>(self, value: Option<T>, set: impl FnOnce(Self, T) -> Self) -> Self {
        match value {
            Some(v) => set(self, v),
            None => self,
        }
    }

    /// `set` applied once per item, in order.
    fn each<T>(self, items: impl IntoIterator<Item = T>, set: impl FnMut(Self, T) -> Self) -> Self {
        items.into_iter().fold(self, set)
    }
}

impl<B> BuilderSteps for B {}
