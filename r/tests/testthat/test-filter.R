# filter = on hnsw_search(), hnsw_range_search() and hnsw_search_docs() against an R
# scan with the same filter, and $checkIntegrity() on built, loaded and damaged graphs.

filtered_knn <- function(X, Q, k, allowed) {
  t(apply(Q, 1, function(q) {
    d <- colSums((t(X) - q)^2)
    d[!allowed] <- Inf
    order(d)[seq_len(min(k, sum(allowed)))]
  }))
}

test_that("allow-lists and logical masks match a filtered scan", {
  set.seed(21)
  n <- 400
  X <- matrix(runif(n * 5), ncol = 5)
  Q <- matrix(runif(15 * 5), ncol = 5)
  ann <- hnsw_build(X, distance = "l2", progress = NULL)
  # numeric: labels in and not in the index (n + 1 ..., 1e12)
  allow <- c(seq(2, 3 * n, by = 2), 1e12)
  res <- hnsw_search(Q, ann, k = 5, ef = n, filter = allow, progress = NULL)
  expect_equal(res$idx, filtered_knn(X, Q, 5, seq_len(n) %% 2 == 0))
  expect_equal(res$dist, t(sapply(seq_len(15), function(i) colSums((t(X) - Q[i, ])^2)[res$idx[i, ]])),
               tolerance = 1e-5)
  expect_equal(hnsw_search(Q, ann, k = 5, ef = n, filter = as.integer(seq(2, n, by = 2)),
                           progress = NULL)$idx, res$idx)
  # logical, shorter than the largest label: labels past its end are not allowed
  mask <- rep(c(TRUE, FALSE, FALSE), length.out = n / 2)
  allowed <- c(mask, rep(FALSE, n - length(mask)))
  res <- hnsw_search(Q, ann, k = 4, ef = n, filter = mask, progress = NULL)
  expect_equal(res$idx, filtered_knn(X, Q, 4, allowed))
  # range and document searches take the same filter
  rr <- hnsw_range_search(Q, ann, epsilon = 100, min_candidates = n, filter = mask)
  expect_true(all(lengths(rr$idx) == sum(allowed)))
  expect_true(all(unlist(rr$idx) %in% which(allowed)))
  docs <- rep(seq_len(n / 4), each = 4)
  dres <- hnsw_search_docs(Q, ann, k = 3, doc_ids = docs, ef_collection = n, filter = allow)
  expect_true(all(dres$idx %% 2 == 0))
  # an empty allow-list allows nothing
  expect_error(hnsw_search(Q, ann, k = 1, filter = numeric(), progress = NULL),
               class = "hnswlibrs_state")
  expect_equal(lengths(hnsw_range_search(Q, ann, epsilon = 100, filter = integer())$idx), rep(0, 15))
  # bad filters
  expect_error(hnsw_search(Q, ann, k = 1, filter = c(TRUE, NA)), "NA", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_search(Q, ann, k = 1, filter = c(0, 2)), "labels", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_search(Q, ann, k = 1, filter = "a"), "filter", class = "hnswlibrs_invalid_argument")
})

test_that("checkIntegrity reports a sound graph and fails on a damaged one", {
  set.seed(22)
  X <- matrix(runif(200 * 4), ncol = 4)
  ann <- hnsw_build(X, distance = "l2", M = 8, progress = NULL)
  report <- ann$checkIntegrity()
  expect_named(report, c("connections", "min_inbound", "max_inbound", "without_inbound"))
  expect_gt(report$connections, 200)
  expect_lte(report$min_inbound, report$max_inbound)
  f <- tempfile(fileext = ".hnsw")
  on.exit(unlink(f))
  ann$save(f)
  expect_equal(hnsw_load(f, "l2", dim = 4)$checkIntegrity(), report)
  # element 0's second level-0 link repeats its first (bytes after the 96-byte header)
  bytes <- readBin(f, "raw", file.size(f))
  bytes[105:108] <- bytes[101:104]
  writeBin(bytes, f)
  damaged <- hnsw_load(f, "l2", dim = 4)
  expect_error(damaged$checkIntegrity(), "twice", class = "hnswlibrs_format")
})
