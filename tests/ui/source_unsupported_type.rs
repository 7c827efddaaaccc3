struct Opaque;

#[derive(khz::Bind)]
struct Upload {
    #[bind(raw_body)]
    body: u32,
    #[bind(query)]
    token: Opaque,
}

fn main() {}
