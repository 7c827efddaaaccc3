#[derive(khz::Bind)]
struct UnknownSource {
    #[bind(body)]
    data: String,
}

#[derive(khz::Bind)]
struct TwoSources {
    #[bind(query, header)]
    token: String,
}

#[derive(khz::Bind)]
struct DefaultOnBody {
    #[bind(raw_body, default = "x")]
    body: String,
}

#[derive(khz::Bind)]
struct Tuple(#[bind(query)] u32);

fn main() {}
