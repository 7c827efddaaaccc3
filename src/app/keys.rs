//! Typed values attached to a request ([`RequestContext::set`] / [`RequestContext::get`]) and
//! application state shared by all requests ([`RequestContext::state`]). Both are keyed by
//! type, so there are no string keys to mistype and no casts: middleware that authenticates
//! stores a `UserId`, the handler reads a `UserId`.

use std::any::{Any, TypeId};
use std::sync::Arc;

use super::context::RequestContext;

/// Per-request values keyed by type. Cleared between requests (allocations kept).
#[derive(Default)]
pub(crate) struct Keys {
    values: Vec<(TypeId, Box<dyn Any + Send + Sync>)>,
}

impl Keys {
    pub(crate) fn clear(&mut self) {
        self.values.clear();
    }
}

/// Shared application state keyed by type, set on the server before it starts.
#[derive(Default, Clone)]
pub(crate) struct StateMap {
    values: Vec<(TypeId, Arc<dyn Any + Send + Sync>)>,
}

impl StateMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        self.values.retain(|(t, _)| *t != id);
        self.values.push((id, Arc::new(value)));
    }

    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.values
            .iter()
            .find(|(t, _)| *t == id)
            .and_then(|(_, v)| v.downcast_ref::<T>())
    }

    pub(crate) fn get_arc<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let id = TypeId::of::<T>();
        let value = self.values.iter().find(|(t, _)| *t == id)?.1.clone();
        value.downcast::<T>().ok()
    }
}

impl RequestContext {
    /// Attaches `value` to this request, replacing an earlier value of the same type.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// #[derive(Clone, Copy)]
    /// struct UserId(u64);
    ///
    /// async fn auth(ctx: &mut RequestContext) {
    ///     ctx.set(UserId(7));
    ///     ctx.next().await;
    /// }
    /// async fn me(ctx: &mut RequestContext) {
    ///     let id = ctx.get::<UserId>().map_or(0, |u| u.0);
    ///     ctx.string(StatusCode::OK, id.to_string());
    /// }
    /// ```
    pub fn set<T: Send + Sync + 'static>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        if let Some(slot) = self.keys.values.iter_mut().find(|(t, _)| *t == id) {
            slot.1 = Box::new(value);
        } else {
            self.keys.values.push((id, Box::new(value)));
        }
    }

    /// The value of type `T` attached to this request.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.keys
            .values
            .iter()
            .find(|(t, _)| *t == id)
            .and_then(|(_, v)| v.downcast_ref::<T>())
    }

    /// The value of type `T` attached to this request, mutable.
    pub fn get_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        let id = TypeId::of::<T>();
        self.keys
            .values
            .iter_mut()
            .find(|(t, _)| *t == id)
            .and_then(|(_, v)| v.downcast_mut::<T>())
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<T> {
        let id = TypeId::of::<T>();
        let i = self.keys.values.iter().position(|(t, _)| *t == id)?;
        let (_, v) = self.keys.values.swap_remove(i);
        v.downcast::<T>().ok().map(|b| *b)
    }

    /// Shared application state of type `T`, registered with
    /// [`Server::with_state`](crate::app::Server::with_state): a shared handle that does not
    /// borrow the context, so it stays usable while the handler writes its response.
    ///
    /// ```
    /// # use khz::prelude::*;
    /// struct Greeting { text: String }
    /// async fn handler(ctx: &mut RequestContext) {
    ///     let Some(greeting) = ctx.state::<Greeting>() else { return };
    ///     ctx.set_header("x-greeting", greeting.text.as_str());
    ///     ctx.string(StatusCode::OK, greeting.text.clone());
    /// }
    /// let server = Server::new().with_state(Greeting { text: "hi".into() });
    /// ```
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.app.state.get_arc::<T>()
    }
}
