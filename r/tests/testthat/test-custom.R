test_that("an R function can be the distance (on the main thread)", {
  X <- random_data(150, 4)
  l2 <- function(a, b) sum((a - b)^2)
  ann <- hnsw_index(l2, dim = 4, max_elements = 150, M = 8, ef_construction = 50)
  expect_s4_class(ann, "HnswIndex")
  ann$setNumThreads(4)
  ann$addItems(X)
  ref <- hnsw_build(X, distance = "l2", M = 8, ef = 50)
  q <- X[1:10, ]
  a <- hnsw_search(q, ann, k = 3, ef = 50)
  b <- hnsw_search(q, ref, k = 3, ef = 50)
  expect_equal(a$idx, b$idx)
  expect_equal(a$dist, b$dist, tolerance = 1e-5)
  expect_equal(ann$info()$distance, "R function")
  back <- unserialize(serialize(ann, NULL))
  expect_equal(hnsw_search(q, back, k = 3, ef = 50), a)
  r <- hnsw_knn(X[1:60, ], k = 2, distance = l2)
  expect_equal(r$idx[, 1], 1:60)
})

test_that("errors in an R distance become R errors", {
  bad <- function(a, b) stop("boom")
  ann <- hnsw_index(bad, dim = 2, max_elements = 10)
  ann$addItem(c(1, 2))
  expect_error(ann$addItem(c(3, 4)), "the distance function failed.*boom", class = "hnswlibrs_distance")
  twice <- function(a, b) c(1, 2)
  ann <- hnsw_index(twice, dim = 2, max_elements = 10)
  ann$addItem(c(1, 2))
  expect_error(ann$addItem(c(1, 3)), "must return one finite number")
})

test_that("a C function (native symbol) can be the distance", {
  dir <- tempfile()
  dir.create(dir)
  src <- file.path(dir, "l1dist.c")
  writeLines(c(
    "#include <stddef.h>",
    "#include <math.h>",
    "float l1_distance(const void *a, const void *b, const void *param) {",
    "  const float *x = a, *y = b; size_t d = *(const size_t *) param; float s = 0;",
    "  for (size_t i = 0; i < d; i++) s += fabsf(x[i] - y[i]);",
    "  return s;",
    "}"
  ), src)
  r <- system2(file.path(R.home("bin"), "R"), c("CMD", "SHLIB", shQuote(src)), stdout = TRUE, stderr = TRUE)
  lib <- file.path(dir, paste0("l1dist", .Platform$dynlib.ext))
  skip_if_not(file.exists(lib), paste("cannot compile a C distance:", paste(r, collapse = "\n")))
  dll <- dyn.load(lib)
  on.exit(dyn.unload(lib))
  sym <- getNativeSymbolInfo("l1_distance", dll)
  X <- random_data(500, 5)
  ann <- hnsw_index(sym, dim = 5, max_elements = 500)
  ann$setNumThreads(2)
  ann$addItems(X)
  res <- hnsw_search(X[1:20, ], ann, k = 4, ef = 100, n_threads = 2)
  l1 <- function(i, j) sum(abs(X[i, ] - X[j, ]))
  expect_equal(res$idx[, 1], 1:20)
  expect_equal(res$dist[3, 2], l1(3, res$idx[3, 2]), tolerance = 1e-5)
  exact <- t(sapply(1:20, function(i) order(sapply(1:500, function(j) l1(i, j)))[1:4]))
  expect_gte(mean(res$idx == exact), 0.95)
  # the bare address works too, and the index survives serialisation by symbol name
  expect_equal(hnsw_index(sym$address, dim = 5, max_elements = 1)$info()$distance, "native")
  expect_error(hnsw_index(sym, dim = 5, max_elements = 1, quantization = "sq8"),
               "needs an f32 space", class = "hnswlibrs_invalid_argument")
  back <- unserialize(serialize(ann, NULL))
  expect_equal(hnsw_search(X[1:20, ], back, k = 4, ef = 100), res)
  expect_error(hnsw_index(new("externalptr"), dim = 5, max_elements = 1), "NULL")
})
