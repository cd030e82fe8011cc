.onLoad <- function(libname, pkgname) {
  # Registers the index handle's ALTREP class, so readRDS() can rebuild saved indexes.
  rs_init()
}
