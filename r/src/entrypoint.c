// R calls R_init_hnswlibrs when it loads the package; the Rust library registers
// its routines (and keeps the linker from dropping the static library).
void R_init_hnswlibrs_extendr(void *dll);

void R_init_hnswlibrs(void *dll) {
    R_init_hnswlibrs_extendr(dll);
}
