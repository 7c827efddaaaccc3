#[derive(khz::Bind)]
struct Upload {
    #[bind(file, default = "none.png")]
    cover: Option<khz::app::multipart::UploadedFile>,
}

fn main() {}
