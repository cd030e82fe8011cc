test_that("index files move both ways between RcppHNSW and hnswlibrs", {
  skip_if_not_installed("RcppHNSW")
  X <- random_data(1000, 10)
  q <- X[1:50, ]
  # Debian's RcppHNSW 0.4.1 cannot build an ip index (its HnswIp class has no addItems),
  # so ip is not compared; ip files have the same layout as l2 files.
  for (d in c("l2", "cosine")) {
    theirs <- RcppHNSW::hnsw_build(X, distance = d, M = 12, ef = 100)
    f <- tempfile(fileext = ".hnsw")
    theirs$save(f)
    cls <- switch(d, l2 = HnswL2, cosine = HnswCosine, ip = HnswIp)
    ours <- new(cls, 10, f)
    expect_equal(ours$size(), 1000)
    a <- RcppHNSW::hnsw_search(q, theirs, k = 5, ef = 50)
    b <- hnsw_search(q, ours, k = 5, ef = 50)
    expect_equal(b$idx, a$idx, info = d)
    expect_equal(b$dist, a$dist, tolerance = 1e-5, info = d)

    mine <- hnsw_build(X, distance = d, M = 12, ef = 100)
    g <- tempfile(fileext = ".hnsw")
    mine$save(g)
    rclass <- switch(d, l2 = RcppHNSW::HnswL2, cosine = RcppHNSW::HnswCosine, ip = RcppHNSW::HnswIp)
    loaded <- methods::new(rclass, 10, g)
    expect_equal(loaded$size(), 1000)
    c1 <- RcppHNSW::hnsw_search(q, loaded, k = 5, ef = 50)
    c2 <- hnsw_search(q, mine, k = 5, ef = 50)
    expect_equal(c1$idx, c2$idx, info = d)
    expect_equal(c1$dist, c2$dist, tolerance = 1e-5, info = d)
  }
})

test_that("hnsw_knn gives RcppHNSW's answers on the same data and parameters", {
  skip_if_not_installed("RcppHNSW")
  X <- random_data(2000, 8)
  a <- RcppHNSW::hnsw_knn(X, k = 5, ef = 50)
  b <- hnsw_knn(X, k = 5, ef = 50)
  expect_gte(mean(a$idx == b$idx), 0.99)
  expect_equal(dim(a$idx), dim(b$idx))
  expect_identical(typeof(a$idx), typeof(b$idx))
})
