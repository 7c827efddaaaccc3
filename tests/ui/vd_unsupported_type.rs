use std::collections::HashMap;

#[derive(khz::Bind)]
struct Counts {
    #[bind(query)]
    #[vd("len($) > 2")]
    n: u32,
    #[vd("$ != nil")]
    by_name: HashMap<String, u32>,
    #[bind(query)]
    #[vd("regexp('^[0-9]+$')")]
    code: u64,
}

fn main() {}
