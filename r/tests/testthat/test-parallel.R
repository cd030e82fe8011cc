# A saved index searched from parallel workers (forked as parallel::mclapply forks them,
# with a time limit: see fork_each in helper-fork.R): each worker loads the file and
# searches with threads of its own; the results equal the parent's. The parent searches
# with threads first, so the forked workers inherit a process whose thread pools' threads
# do not exist in them.

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
  res <- fork_each(chunks, function(rows) {
    .libPaths(c(lib, .libPaths()))
    idx <- hnswlibrs::hnsw_load(f, "l2", dim = 8)
    hnswlibrs::hnsw_search(d$Q[rows, , drop = FALSE], idx, k = 5, ef = 50, n_threads = 2)
  })
  for (i in seq_along(chunks)) {
    expect_true(is.list(res[[i]]) && !is.null(res[[i]]$idx), info = paste(format(res[[i]]), collapse = " "))
    expect_identical(res[[i]]$idx, parent$idx[chunks[[i]], , drop = FALSE])
    expect_equal(res[[i]]$dist, parent$dist[chunks[[i]], , drop = FALSE])
  }
  # the parent's index is untouched by the workers
  expect_identical(hnsw_search(d$Q, ann, k = 5, ef = 50, n_threads = 2)$idx, parent$idx)
})
