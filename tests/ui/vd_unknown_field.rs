#[derive(khz::Bind)]
struct Range {
    #[bind(query)]
    min: u32,
    #[bind(query)]
    #[vd("$ >= (Min)$")]
    max: u32,
}

fn main() {}
