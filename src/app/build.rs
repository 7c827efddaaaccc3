//! Freezing a [`Server`]'s options and registrations into the [`App`] that serves requests:
//! every problem found on the way — invalid patterns, route conflicts (both routes named),
//! options that cannot work or contradict each other, options that failed to apply — is
//! collected and reported as one error, so a server with any problem serves nothing.

use std::iter;
use std::sync::Arc;

use super::dispatch::{self, App, AppService, RouteInfo};
use super::handler::{Chain, NamedHandler};
use super::server::{Registrations, Server};
use crate::route::{self, Router};
use crate::{Error, ErrorKind, Result};

/// The chain of server middleware followed by `tail`.
fn root_chain(regs: &Registrations, tail: &[NamedHandler]) -> Chain {
    regs.group_middleware(0)
        .into_iter()
        .chain(tail)
        .map(|h| h.handler.clone())
        .collect()
}

impl Server {
    /// Freezes the options and registrations into the app that serves requests.
    pub(crate) fn build_app(&self) -> Result<App> {
        let mut problems: Vec<String> = self.option_errors.iter().map(|e| e.to_string()).collect();
        problems.extend(self.opts.problems());
        let options_ok = problems.is_empty();

        let regs = self.reg.lock();
        let mut router = Router::new();
        let mut routes = Vec::with_capacity(regs.routes.len());
        for (id, r) in regs.routes.iter().enumerate() {
            let pattern = regs.pattern_of(id);
            if let Err(e) = router.insert(&r.method, &pattern, id) {
                problems.push(e.to_string());
            }
            let chain: Chain = regs
                .group_middleware(r.group)
                .into_iter()
                .chain(&r.middleware)
                .chain(iter::once(&r.handler))
                .map(|h| h.handler.clone())
                .collect();
            routes.push(RouteInfo {
                param_names: route::param_names(&pattern).unwrap_or_default(),
                pattern,
                handler_name: r.handler.name,
                chain,
                stream_body: r.stream_body,
            });
        }
        if !problems.is_empty() {
            if problems.len() == 1 && self.option_errors.len() == 1 {
                // One option failed to apply: its own error, source and all.
                return Err(self.take_option_error());
            }
            let kind = if options_ok {
                ErrorKind::Route
            } else {
                ErrorKind::Config
            };
            let list = problems.join("\n  - ");
            let noun = if problems.len() == 1 {
                "problem"
            } else {
                "problems"
            };
            return Err(Error::new(
                kind,
                format!("{} {noun}, nothing served:\n  - {list}", problems.len()),
            ));
        }

        let fallback = |user: &[NamedHandler], default: NamedHandler| {
            if user.is_empty() {
                root_chain(&regs, &[default])
            } else {
                root_chain(&regs, user)
            }
        };
        Ok(App {
            router,
            routes,
            no_route: fallback(
                &regs.no_route,
                NamedHandler::new(dispatch::default_not_found),
            ),
            no_method: fallback(
                &regs.no_method,
                NamedHandler::new(dispatch::default_method_not_allowed),
            ),
            redirect: root_chain(&regs, &[NamedHandler::new(dispatch::send_redirect)]),
            rejected: root_chain(&regs, &[NamedHandler::new(dispatch::render_rejection)]),
            opts: self.opts.route.clone(),
            state: self.state.clone(),
            continue_hook: regs.continue_hook.clone(),
            bind_error_hook: regs.bind_error_hook.clone(),
            error_renderer: regs.error_renderer.clone(),
            recovery_first: self.recovery_first,
            max_body_bytes: self.opts.h1.max_body_bytes,
            stream_all: self.opts.stream_request_body,
            any_stream_route: regs.routes.iter().any(|r| r.stream_body),
            max_stream_body: self.opts.max_stream_body_size,
            client_ip: self.opts.client_ip.clone(),
            #[cfg(feature = "multipart")]
            multipart: self.opts.multipart.clone(),
        })
    }

    /// The first error of an option that failed to apply, keeping its source.
    fn take_option_error(&self) -> Error {
        let first = &self.option_errors[0];
        let source = std::error::Error::source(first).map(|s| s.to_string());
        match source {
            Some(s) => Error::with_source(first.kind(), first.message().to_owned(), s),
            None => Error::new(first.kind(), first.message().to_owned()),
        }
    }

    pub(crate) fn build_service(&self) -> Result<AppService> {
        Ok(AppService {
            app: Arc::new(self.build_app()?),
        })
    }
}
