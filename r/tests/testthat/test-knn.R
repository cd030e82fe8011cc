test_that("hnsw_knn returns RcppHNSW's shapes: 1-based integer idx, double dist", {
  X <- random_data(300, 8)
  r <- hnsw_knn(X, k = 4)
  expect_named(r, c("idx", "dist"))
  expect_true(is.integer(r$idx))
  expect_true(is.double(r$dist))
  expect_equal(dim(r$idx), c(300, 4))
  expect_equal(dim(r$dist), c(300, 4))
  expect_true(all(r$idx >= 1 & r$idx <= 300))
  # Each item is its own nearest neighbour, at distance 0.
  expect_equal(r$idx[, 1], 1:300)
  expect_equal(r$dist[, 1], rep(0, 300))
  expect_true(all(t(apply(r$dist, 1, diff)) >= 0))
})

test_that("recall against exact search is at least 0.99 on 5000 x 16", {
  X <- random_data(5000, 16, seed = 7)
  Q <- X[1:500, ]
  truth <- exact_knn(X, Q, 10)
  ann <- hnsw_build(X, distance = "l2", M = 16, ef = 200, n_threads = 2)
  res <- hnsw_search(Q, ann, k = 10, ef = 100, n_threads = 2)
  expect_gte(recall(res$idx, truth), 0.99)
})

test_that("euclidean distances are the square roots of l2 distances", {
  X <- random_data(400, 6)
  e <- hnsw_knn(X, k = 5, distance = "euclidean")
  l <- hnsw_knn(X, k = 5, distance = "l2")
  expect_equal(e$idx, l$idx)
  expect_equal(e$dist, sqrt(l$dist), tolerance = 1e-6)
  # and they are the true distances
  expect_equal(e$dist[2, 2], sqrt(sum((X[2, ] - X[e$idx[2, 2], ])^2)), tolerance = 1e-5)
})

test_that("byrow = FALSE takes items in columns and returns k x n matrices", {
  X <- random_data(300, 5)
  a <- hnsw_knn(X, k = 3, distance = "l2")
  b <- hnsw_knn(t(X), k = 3, distance = "l2", byrow = FALSE)
  expect_equal(dim(b$idx), c(3, 300))
  expect_equal(t(b$idx), a$idx)
  expect_equal(t(b$dist), a$dist)
})

test_that("cosine and ip distances match their definitions", {
  X <- random_data(300, 6)
  r <- hnsw_knn(X, k = 3, distance = "cosine")
  cosd <- function(a, b) 1 - sum(a * b) / sqrt(sum(a^2) * sum(b^2))
  expect_equal(r$dist[5, 2], cosd(X[5, ], X[r$idx[5, 2], ]), tolerance = 1e-5)
  ann <- hnsw_build(X, distance = "ip")
  s <- hnsw_search(X[1:3, ], ann, k = 2)
  expect_equal(s$dist[1, 1], 1 - sum(X[1, ] * X[s$idx[1, 1], ]), tolerance = 1e-5)
  expect_s4_class(ann, "HnswIp")
  expect_s4_class(hnsw_build(X, distance = "cosine"), "HnswCosine")
  expect_s4_class(hnsw_build(X), "HnswEuclidean")
})

test_that("threads, random_seed and integer input give the same neighbours", {
  X <- random_data(600, 8)
  a <- hnsw_knn(X, k = 5, n_threads = 0)
  b <- hnsw_knn(X, k = 5, n_threads = 2, grain_size = 10)
  expect_gte(mean(a$idx == b$idx), 0.98)
  s1 <- hnsw_knn(X, k = 5, random_seed = 1)
  s2 <- hnsw_knn(X, k = 5, random_seed = 1)
  expect_identical(s1, s2)
  Xi <- matrix(sample(0:9, 200 * 4, TRUE), ncol = 4)
  expect_equal(dim(hnsw_knn(Xi, k = 2)$idx), c(200, 2))
})

test_that("a progress bar is drawn with verbose = TRUE", {
  X <- random_data(2500, 4)
  msgs <- capture_messages(hnsw_knn(X, k = 2, verbose = TRUE, progress = "bar"))
  expect_true(any(grepl("0%   10   20", msgs, fixed = TRUE)))
  expect_true(any(grepl("*", msgs, fixed = TRUE)))
  expect_silent(hnsw_knn(X, k = 2))
})
