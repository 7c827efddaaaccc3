#[derive(khz::Bind)]
struct User {
    #[bind(query)]
    #[vd("regexp('^[a-z+$')")]
    name: String,
}

fn main() {}
