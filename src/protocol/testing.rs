//! Tiny services for the protocol drivers' unit tests: [`Hello`] answers `200 hello` to every
//! request and keeps every default hook; [`JsonRejects`] does the same but renders rejections
//! as JSON, showing what the service saw (status, reason, whether the head was parsed, path).

use std::future::Future;

use http::header::{self, HeaderValue};

use super::rejection::Rejection;
use super::request::Request;
use super::response::{Body, Response};
use super::service::{ConnInfo, Exchange, HttpService};

/// `200 hello`, default hooks.
pub(crate) struct Hello;

/// `200 hello`, rejections as JSON.
pub(crate) struct JsonRejects;

/// The exchange of both test services.
#[derive(Default)]
pub(crate) struct TestExchange {
    req: Request,
    resp: Response,
}

impl Exchange for TestExchange {
    fn request_mut(&mut self) -> &mut Request {
        &mut self.req
    }
    fn response_mut(&mut self) -> &mut Response {
        &mut self.resp
    }
    fn reset(&mut self) {
        self.req.clear();
        self.resp.clear();
    }
}

fn hello(ex: &mut TestExchange) -> impl Future<Output = ()> + Send + '_ {
    ex.resp.set_body(Body::Static(b"hello"));
    std::future::ready(())
}

impl HttpService for Hello {
    type Exchange = TestExchange;
    fn new_exchange(&self, _: ConnInfo) -> TestExchange {
        TestExchange::default()
    }
    fn call<'a>(&'a self, ex: &'a mut TestExchange) -> impl Future<Output = ()> + Send + 'a {
        hello(ex)
    }
}

impl HttpService for JsonRejects {
    type Exchange = TestExchange;
    fn new_exchange(&self, _: ConnInfo) -> TestExchange {
        TestExchange::default()
    }
    fn call<'a>(&'a self, ex: &'a mut TestExchange) -> impl Future<Output = ()> + Send + 'a {
        hello(ex)
    }
    async fn reject(&self, ex: &mut TestExchange, rejection: Rejection) {
        let body = format!(
            r#"{{"status":{},"reason":"{}","head":{},"path":"{}"}}"#,
            rejection.status().as_u16(),
            rejection.reason(),
            rejection.head_parsed(),
            ex.req.path(),
        );
        let resp = &mut ex.resp;
        resp.clear();
        resp.set_status(rejection.status());
        resp.set_header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp.set_body(body);
    }
}
