# Runs the testthat suite (tests/testthat) against the package installed in a library
# directory (make test-r: Rscript r/tools/run_tests.R r/.rlib) and ends with a summary line
# "testthat: N passed, N failed, N skipped"; exits non-zero on any failure.
# R CMD check runs the same suite through tests/testthat.R.
args <- commandArgs(trailingOnly = TRUE)
lib <- if (length(args)) normalizePath(args[1]) else NULL
.libPaths(c(lib, .libPaths()))
library(testthat)
library(hnswlibrs, lib.loc = lib)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))))
res <- as.data.frame(test_dir(file.path(dirname(here), "tests", "testthat"), package = "hnswlibrs",
                              load_package = "none", reporter = "progress",
                              stop_on_failure = FALSE))
failed <- sum(res$failed) + sum(res$error)
cat(sprintf("testthat: %d passed, %d failed, %d skipped\n",
            sum(res$passed), failed, sum(res$skipped)))
quit(status = if (failed > 0) 1 else 0)
