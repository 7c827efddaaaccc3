#[derive(khz::Bind)]
struct Note {
    #[vd("len($) > ")]
    title: String,
}

#[derive(khz::Bind)]
struct Age {
    #[bind(query)]
    #[vd("$ = 18")]
    age: u32,
}

fn main() {}
