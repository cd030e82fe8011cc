# u8 vectors (distance = "l2u8", class HnswL2u8: hnswlib's L2SpaceI): raw or integer
# matrices of 0..255 in, exact integer squared distances out, files that hnswlib 0.6.2's
# C++ writes (core/tests/fixtures/l2u8_d12.*, l2u8_fixture.cpp).

random_bytes <- function(n, d, seed = 8) {
  set.seed(seed)
  matrix(sample(0:255, n * d, replace = TRUE), n, d)
}

# Exact squared Euclidean distances of each row of Q to every row of X, in integers.
sq_dists <- function(X, Q) {
  X <- matrix(as.integer(X), nrow(X))
  Q <- matrix(as.integer(Q), nrow(Q))
  t(apply(Q, 1, function(q) colSums((t(X) - q)^2)))
}

# The result is the exact answer: the k smallest distances, each the true distance of
# its label (ties may come in any order, so labels are checked through distances).
expect_exact <- function(res, X, Q, k) {
  d <- sq_dists(X, Q)
  for (i in seq_len(nrow(Q))) {
    expect_identical(res$dist[i, ], as.numeric(sort(d[i, ])[1:k]))
    expect_identical(d[i, res$idx[i, ]], res$dist[i, ])
    expect_false(anyDuplicated(res$idx[i, ]) > 0)
  }
}

as_raw_matrix <- function(X) matrix(as.raw(X), nrow(X), ncol(X))

test_that("an l2u8 index searches exactly with integer, double and raw matrices", {
  X <- random_bytes(500, 10)
  Q <- random_bytes(20, 10, seed = 9)
  ann <- hnsw_build(X, distance = "l2u8", M = 12, ef = 80)
  expect_s4_class(ann, "HnswL2u8")
  expect_identical(ann$info()$distance, "l2u8")
  expect_identical(ann$size(), 500)
  res <- hnsw_search(Q, ann, k = 8, ef = 500)
  expect_type(res$idx, "integer")
  expect_exact(res, X, Q, 8)
  expect_identical(hnsw_search(as_raw_matrix(Q), ann, k = 8, ef = 500), res)
  expect_identical(hnsw_search(Q + 0, ann, k = 8, ef = 500), res)
  expect_identical(hnsw_search(t(as_raw_matrix(Q)), ann, k = 8, ef = 500, byrow = FALSE),
                   lapply(res, t))
  # Built from a raw matrix: the same vectors.
  raw_ann <- hnsw_build(as_raw_matrix(X), distance = "l2u8", M = 12, ef = 80)
  expect_identical(raw_ann$getItems(1:500), ann$getItems(1:500))
  expect_exact(hnsw_search(Q, raw_ann, k = 8, ef = 500), X, Q, 8)
})

test_that("getItems returns the vectors as an integer matrix", {
  X <- random_bytes(30, 6)
  ann <- new(HnswL2u8, 6, 40)
  ann$addItems(X)
  items <- ann$getItems(c(3, 1, 30))
  expect_type(items, "integer")
  expect_identical(items, matrix(as.integer(X[c(3, 1, 30), ]), 3))
  ann$addItem(as.raw(c(200, 0, 0, 0, 0, 255)))
  expect_identical(ann$getItems(31), matrix(c(200L, 0L, 0L, 0L, 0L, 255L), 1))
  expect_identical(ann$getNNs(as.raw(c(200, 0, 0, 0, 0, 255)), 1), 31L)
  expect_identical(ann$getNNsList(c(0, 0, 0, 0, 0, 0), 1)$distance,
                   min(sq_dists(rbind(X, c(200, 0, 0, 0, 0, 255)), matrix(0, 1, 6))))
  expect_error(ann$getItems(99), class = "hnswlibrs_label_not_found")
})

test_that("distances are the exact integer sums", {
  ann <- hnsw_index("l2u8", dim = 256, max_elements = 2)
  ann$addItems(rbind(rep(255, 256), rep(0, 256)))
  res <- hnsw_search(matrix(0L, 1, 256), ann, k = 2)
  expect_identical(res$idx, matrix(c(2L, 1L), 1))
  # 256 * 255^2 = 16,646,400, below 2^24: exact in single precision.
  expect_identical(res$dist, matrix(c(0, 16646400), 1))
})

test_that("values that are not bytes are errors naming the value, and nothing is added", {
  X <- random_bytes(10, 4)
  ann <- hnsw_build(X, distance = "l2u8")
  for (bad in list(256, -1, 1.5, NA, NaN, Inf)) {
    Y <- X[1:3, ] + 0
    Y[2, 3] <- bad
    shown <- if (is.na(bad) && !is.nan(bad)) "NA" else format(bad)
    msg <- paste0("item 2 of X holds ", shown, "; an index of u8 vectors")
    expect_error(ann$addItems(Y), msg, fixed = TRUE, class = "hnswlibrs_invalid_argument")
    expect_error(hnsw_build(Y, distance = "l2u8"), msg, fixed = TRUE, class = "hnswlibrs_invalid_argument")
    expect_error(hnsw_search(Y, ann, k = 1), msg, fixed = TRUE, class = "hnswlibrs_invalid_argument")
    expect_error(hnsw_range_search(Y, ann, epsilon = 10), msg, fixed = TRUE,
                 class = "hnswlibrs_invalid_argument")
    expect_error(hnsw_search_docs(Y, ann, k = 1, doc_ids = 1:10), msg, fixed = TRUE,
                 class = "hnswlibrs_invalid_argument")
  }
  expect_error(ann$addItem(c(1, 2, 3, 300)), "item 1 of X holds 300", class = "hnswlibrs_invalid_argument")
  expect_error(ann$addItems(matrix(c(1L, NA, 3L, 4L), 1)), "item 1 of X holds NA",
               class = "hnswlibrs_invalid_argument")
  expect_identical(ann$size(), 10)
  # Wrong dimension, quantization, and a raw matrix for a numeric index.
  expect_error(ann$addItems(as_raw_matrix(X[, 1:3])), "Wrong dimensionality", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_index("l2u8", dim = 4, max_elements = 10, quantization = "sq8"),
               class = "hnswlibrs_invalid_argument")
  num <- hnsw_build(random_data(10, 4), distance = "l2")
  expect_error(num$addItems(as_raw_matrix(X)), "X is a raw matrix (u8 vectors)", fixed = TRUE,
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_search(as_raw_matrix(X), num, k = 1), "raw matrix", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_build(as_raw_matrix(X)), "raw matrix", class = "hnswlibrs_invalid_argument")
  expect_identical(num$size(), 10)
})

test_that("u8 indexes save and load in both formats, as views and through saveRDS", {
  X <- random_bytes(300, 8)
  Q <- random_bytes(10, 8, seed = 3)
  ann <- hnsw_build(X, distance = "l2u8", M = 10, ef = 60)
  ann$setEf(50)
  want <- hnsw_search(Q, ann, k = 5, ef = 50)
  f <- tempfile(fileext = ".hnsw")
  on.exit(unlink(f))

  hnsw_save(ann, f)
  old <- hnsw_load(f, distance = "l2u8", dim = 8)
  expect_s4_class(old, "HnswL2u8")
  expect_identical(hnsw_search(Q, old, k = 5, ef = 50), want)
  expect_identical(old$getItems(1:300), ann$getItems(1:300))
  again <- hnsw_from_raw(ann$toRaw(), distance = "l2u8", dim = 8)
  expect_identical(hnsw_search(Q, again, k = 5, ef = 50), want)

  hnsw_save(ann, f, format = "native")
  native <- hnsw_load(f)
  expect_s4_class(native, "HnswL2u8")
  expect_identical(native$info()$distance, "l2u8")
  expect_identical(native$info()$dim, 8)
  expect_identical(native$getEf(), 50)
  expect_identical(hnsw_search(Q, native, k = 5, ef = 50), want)
  expect_error(hnsw_load(f, distance = "l2"), "holds a l2u8 index", class = "hnswlibrs_invalid_argument")
  view <- hnsw_load(f, mmap = TRUE)
  expect_true(view$isView())
  expect_s4_class(view, "HnswL2u8")
  expect_identical(hnsw_search(as_raw_matrix(Q), view, k = 5, ef = 50), want)
  expect_identical(view$getItems(7), ann$getItems(7))
  rm(view)

  rds <- tempfile(fileext = ".rds")
  on.exit(unlink(rds), add = TRUE)
  saveRDS(ann, rds)
  back <- readRDS(rds)
  expect_s4_class(back, "HnswL2u8")
  expect_identical(hnsw_search(Q, back, k = 5, ef = 50), want)
})

test_that("range and document searches take u8 queries", {
  X <- random_bytes(200, 5)
  ann <- hnsw_build(X, distance = "l2u8")
  d <- sq_dists(X, X[1:2, ])
  eps <- sort(d[1, ])[6]
  res <- hnsw_range_search(as_raw_matrix(X[1:2, , drop = FALSE]), ann, epsilon = eps, min_candidates = 200)
  expect_identical(res$dist[[1]], as.numeric(sort(d[1, ][d[1, ] <= eps])))
  docs <- hnsw_search_docs(X[1:2, ], ann, k = 2, doc_ids = rep(1:50, each = 4), ef_collection = 50)
  expect_identical(docs$doc[, 1], c(1, 1))
  expect_identical(docs$dist[, 1], c(0, 0))
})

test_that("hnsw_knn finds each item's exact neighbours with l2u8", {
  X <- random_bytes(150, 6)
  nn <- hnsw_knn(X, k = 4, distance = "l2u8", ef = 150)
  expect_exact(nn, X, X, 4)
})

# The u8 fixture: raw bytes, and the results hnswlib 0.6.2 gave.
read_u8 <- function(name, dim) {
  path <- fixture(name)
  matrix(as.integer(readBin(path, "raw", file.size(path))), ncol = dim, byrow = TRUE)
}

test_that("a u8 index written by hnswlib 0.6.2's C++ (L2SpaceI) loads and answers as hnswlib", {
  expected <- readLines(fixture("l2u8_d12.expected.txt"))
  expect_identical(expected[1], "space=l2u8 dim=12 k=5 ef=30 count=300")
  rows <- strsplit(expected[-1], "|", fixed = TRUE)
  want_idx <- t(sapply(rows, function(r) scan(text = r[1], what = integer(), quiet = TRUE))) + 1L # 1-based
  want_dist <- t(sapply(rows, function(r) scan(text = r[2], quiet = TRUE)))
  X <- read_u8("l2u8_d12.data.u8", 12)
  Q <- read_u8("l2u8_d12.queries.u8", 12)
  lpath <- fixture("l2u8_d12.labels.u64")
  words <- readBin(lpath, "integer", size = 4, n = file.size(lpath) / 4, endian = "little")
  labels <- words[c(TRUE, FALSE)] + 1 # the low words: labels are small

  hnswlib_bytes <- readBin(fixture("l2u8_d12.hnsw"), "raw", file.size(fixture("l2u8_d12.hnsw")))
  loaded <- hnsw_load(fixture("l2u8_d12.hnsw"), distance = "l2u8", dim = 12)
  expect_identical(loaded$size(), 300)
  expect_identical(loaded$getIdsList(), sort(labels))
  expect_identical(loaded$getItems(labels[17]), X[17, , drop = FALSE])
  expect_identical(loaded$toRaw(), hnswlib_bytes)
  res <- hnsw_search(Q, loaded, k = 5, ef = 30)
  expect_identical(res$idx, want_idx)
  expect_identical(res$dist, want_dist)

  # Built here from the same data, parameters and seed on one thread, item by item:
  # the file hnswlib wrote, byte for byte.
  built <- hnsw_index("l2u8", dim = 12, max_elements = 400, M = 8, ef_construction = 40, random_seed = 100)
  for (i in seq_len(nrow(X))) built$addItems(as_raw_matrix(X[i, , drop = FALSE]), labels = labels[i])
  expect_identical(built$toRaw(), hnswlib_bytes)
  expect_identical(hnsw_search(Q, built, k = 5, ef = 30), res)
})
