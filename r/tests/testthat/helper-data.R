# Small data and exact neighbours for the tests.
random_data <- function(n, d, seed = 42) {
  set.seed(seed)
  matrix(rnorm(n * d), nrow = n, ncol = d)
}

# Exact k nearest neighbours (1-based) by squared Euclidean distance, rows of Q among rows of X.
exact_knn <- function(X, Q, k) {
  xx <- rowSums(X^2)
  t(apply(Q, 1, function(q) {
    d <- xx - 2 * as.vector(X %*% q) + sum(q^2)
    order(d)[1:k]
  }))
}

recall <- function(found, truth) {
  mean(sapply(seq_len(nrow(truth)), function(i) length(intersect(found[i, ], truth[i, ])))) / ncol(truth)
}

# hnswlib files and their expected results: in tests/testthat/fixtures of the source
# tarball (make r-package copies them there), else in the checkout's core/tests/fixtures.
fixture <- function(name) {
  shipped <- test_path("fixtures", name)
  if (file.exists(shipped)) shipped else test_path("..", "..", "..", "core", "tests", "fixtures", name)
}

read_f32 <- function(path, dim) {
  con <- file(path, "rb")
  on.exit(close(con))
  v <- readBin(con, "numeric", size = 4, n = file.size(path) / 4, endian = "little")
  matrix(v, ncol = dim, byrow = TRUE)
}

# Embedding-like data: `n` items and `nq` queries around the same `clusters` centres.
clustered_data <- function(n, nq, d, clusters = 20, seed = 42) {
  set.seed(seed)
  centres <- matrix(runif(clusters * d, -1, 1), clusters, d)
  draw <- function(m) centres[sample(clusters, m, TRUE), ] + 0.35 * matrix(runif(m * d, -1, 1), m, d)
  list(X = draw(n), Q = draw(nq))
}
