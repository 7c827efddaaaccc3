#[derive(khz::Bind)]
struct Upload {
    #[bind(file)]
    avatar: String,
}

fn main() {}
