#[derive(khz::Bind)]
struct Note {
    #[vd("size($) > 0")]
    title: String,
}

fn main() {}
