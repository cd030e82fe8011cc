# A saved index searched from parallel workers (forked with parallel::mclapply): each
# worker loads the file and searches with threads of its own; the results equal the
# parent's. The parent searches with threads first, so the forked workers inherit a
# process whose thread pools' threads do not exist in them.

test_that("parallel workers load a saved index and search it like the parent", {
  skip_on_os("windows") # mclapply forks, which Windows cannot do
  skip_if_not_installed("parallel")
  d <- clustered_data(2000, 200, 8)
  ann <- hnsw_build(d$X, distance = "l2", n_threads = 2)
  f <- tempfile(fileext = ".hnsw")
  ann$save(f)
  parent <- hnsw_search(d$Q, ann, k = 5, ef = 50, n_threads = 2)
  chunks <- split(seq_len(nrow(d$Q)), rep(1:4, length.out = nrow(d$Q)))
  lib <- dirname(find.package("hnswlibrs"))
  res <- parallel::mclapply(chunks, function(rows) {
    .libPaths(c(lib, .libPaths()))
    idx <- hnswlibrs::hnsw_load(f, "l2", dim = 8)
    hnswlibrs::hnsw_search(d$Q[rows, , drop = FALSE], idx, k = 5, ef = 50, n_threads = 2)
  }, mc.cores = 2, mc.preschedule = FALSE)
  for (i in seq_along(chunks)) {
    expect_false(inherits(res[[i]], "try-error"), info = paste(res[[i]]))
    expect_identical(res[[i]]$idx, parent$idx[chunks[[i]], , drop = FALSE])
    expect_equal(res[[i]]$dist, parent$dist[chunks[[i]], , drop = FALSE])
  }
  # the parent's index is untouched by the workers
  expect_identical(hnsw_search(d$Q, ann, k = 5, ef = 50, n_threads = 2)$idx, parent$idx)
})
