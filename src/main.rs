fn main() {
    std::process::exit(choreoctl::run());
}
