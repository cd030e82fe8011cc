# Bad input at every exported entry point: each case signals an R error with a clear
# message (an hnswlibrs_<kind> condition when the engine rejects it), never a crash
# or a wrong answer. The README's "Reliability" table lists what these tests assert.

small_index <- function() {
  X <- random_data(20, 4)
  list(X = X, ann = hnsw_build(X, distance = "l2"))
}

test_that("wrong types are rejected before reaching the engine", {
  s <- small_index()
  X <- s$X
  ann <- s$ann
  chr <- matrix("a", 2, 4)
  cpx <- matrix(1i, 2, 4)
  for (bad in list(chr, cpx)) {
    expect_error(hnsw_build(bad), "X must be a numeric matrix")
    expect_error(hnsw_search(bad, ann, k = 1), "X must be a numeric matrix")
    expect_error(hnsw_range_search(bad, ann, epsilon = 1), "X must be a numeric matrix")
    expect_error(hnsw_search_docs(bad, ann, k = 1, doc_ids = 1:20), "X must be a numeric matrix")
    expect_error(ann$addItems(bad), "X must be a numeric matrix")
  }
  expect_error(hnsw_search(as.data.frame(X), ann, k = 1), "X must be matrix")
  expect_error(hnsw_search(X[1, ], ann, k = 1), "X must be matrix")
  expect_error(hnsw_search(X, ann, k = "3"), "k must be a whole number >= 1")
  expect_error(hnsw_search_docs(X, ann, k = 1, doc_ids = letters), "doc_ids must be a numeric vector")
  expect_error(hnsw_range_search(X, ann, epsilon = "1"), "epsilon must be one number")
  expect_error(hnsw_from_raw("bytes", "l2", dim = 4), "bytes must be a raw vector",
               class = "hnswlibrs_invalid_argument")
  expect_error(suppressWarnings(ann$markDeleted("a")), "labels must be whole numbers", class = "hnswlibrs_invalid_argument")
  expect_error(ann$markDeleted(1.5), "labels must be whole numbers", class = "hnswlibrs_invalid_argument")
  # logical matrices are numbers to R, as in RcppHNSW
  expect_equal(dim(hnsw_search(X[1:2, ] > 0, ann, k = 1)$idx), c(2, 1))
  expect_equal(ann$size(), 20)
})

test_that("a wrong dimension is an hnswlibrs_invalid_argument error", {
  s <- small_index()
  ann <- s$ann
  Q <- s$X[1:2, 1:3]
  cls <- "hnswlibrs_invalid_argument"
  msg <- "Wrong dimensionality of the vectors.*dim 4, got 3"
  expect_error(hnsw_search(Q, ann, k = 1), msg, class = cls)
  expect_error(hnsw_range_search(Q, ann, epsilon = 1), msg, class = cls)
  expect_error(hnsw_search_docs(Q, ann, k = 1, doc_ids = 1:20), msg, class = cls)
  expect_error(ann$addItems(Q), msg, class = cls)
  expect_error(ann$getNNs(1:3, k = 1), msg, class = cls)
  expect_error(ann$addItems(s$X[1:2, ], labels = 1:3), "label shape does not match", class = cls)
  expect_equal(ann$size(), 20)
})

test_that("empty input gives empty results or a clear error", {
  s <- small_index()
  ann <- s$ann
  none <- s$X[0, , drop = FALSE]
  r <- hnsw_search(none, ann, k = 3)
  expect_equal(dim(r$idx), c(0, 3))
  expect_equal(dim(r$dist), c(0, 3))
  # range and document searches take at least one query (the engine's check)
  expect_error(hnsw_range_search(none, ann, epsilon = 1), "Empty input", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_search_docs(none, ann, k = 1, doc_ids = 1:20), "Empty input",
               class = "hnswlibrs_invalid_argument")
  expect_error(ann$addItems(none), "Empty input", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_build(none), "Empty input", class = "hnswlibrs_invalid_argument")
  expect_equal(ann$size(), 20)
  expect_equal(nrow(ann$getItems(numeric())), 0)
  expect_error(ann$getNNs(numeric(), k = 1), "Wrong dimensionality", class = "hnswlibrs_invalid_argument")
})

test_that("NA, NaN and Inf are rejected at every entry point", {
  s <- small_index()
  ann <- s$ann
  cls <- "hnswlibrs_invalid_argument"
  for (bad in c(NA, NaN, Inf, -Inf)) {
    Q <- s$X[1:2, ]
    Q[2, 3] <- bad
    expect_error(hnsw_build(Q), "Vector 2 contains NaN or infinity", class = cls)
    expect_error(hnsw_search(Q, ann, k = 1), "Vector 2 contains NaN or infinity", class = cls)
    expect_error(hnsw_range_search(Q, ann, epsilon = 1), "Vector 2 contains NaN or infinity", class = cls)
    expect_error(hnsw_search_docs(Q, ann, k = 1, doc_ids = 1:20), "Vector 2 contains NaN or infinity",
                 class = cls)
    expect_error(ann$addItems(Q), "Vector 2 contains NaN or infinity", class = cls)
    expect_error(ann$getNNs(Q[2, ], k = 1), "contains NaN or infinity", class = cls)
  }
  expect_equal(ann$size(), 20)
})

test_that("k below 1 is an error; k above the item count is an error too", {
  s <- small_index()
  X <- s$X
  ann <- s$ann
  for (k in list(0, -1, 1.5, NA, c(1, 2))) {
    expect_error(hnsw_search(X, ann, k = k), "k must be a whole number >= 1")
    expect_error(hnsw_search_docs(X, ann, k = k, doc_ids = 1:20), "k must be a whole number >= 1")
    expect_error(ann$getNNs(X[1, ], k = k), "k must be a whole number >= 1")
  }
  expect_error(hnsw_knn(X, k = 0), "k must be a whole number >= 1")
  expect_error(hnsw_knn(X, k = 21), "k cannot be larger than 20")
  expect_error(hnsw_search(X[1:2, ], ann, k = 21), "Unable to find 21 results", class = "hnswlibrs_state")
  expect_equal(dim(hnsw_search(X[1:2, ], ann, k = 20)$idx), c(2, 20))
  expect_error(hnsw_search_docs(X[1:2, ], ann, k = 11, doc_ids = rep(1:10, 2)),
               "Unable to find 11 documents for query row 1: only 10 found", class = "hnswlibrs_state")
  expect_error(hnsw_range_search(X, ann, epsilon = 1, max_results = 0), "max_results must be a whole number >= 1")
})

test_that("NULL where a value is expected is an error", {
  s <- small_index()
  X <- s$X
  ann <- s$ann
  expect_error(hnsw_build(NULL), "X must be matrix")
  expect_error(hnsw_search(NULL, ann, k = 1), "X must be matrix")
  expect_error(hnsw_range_search(NULL, ann, epsilon = 1), "X must be matrix")
  expect_error(hnsw_search_docs(NULL, ann, k = 1, doc_ids = 1:20), "X must be matrix")
  expect_error(ann$addItems(NULL), "X must be matrix")
  for (f in list(
    function() hnsw_search(X, NULL, k = 1),
    function() hnsw_range_search(X, NULL, epsilon = 1),
    function() hnsw_search_docs(X, NULL, k = 1, doc_ids = 1:20)
  )) {
    expect_error(f(), "ann must be an hnswlibrs index")
  }
  expect_error(hnsw_search(X, ann, k = NULL), "k must be a whole number >= 1")
  expect_error(hnsw_search_docs(X, ann, k = 1, doc_ids = NULL), "doc_ids must be a numeric vector")
  expect_error(hnsw_range_search(X, ann, epsilon = NULL), "epsilon must be one number")
  expect_error(hnsw_load(NULL, "l2", dim = 4), "filename must be one file name",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(tempfile(), "l2", dim = "4"), "dim must be a whole number >= 1")
  # dim = NULL is the file's own: hnswlib's format has none
  h <- tempfile()
  ann$save(h)
  expect_error(hnsw_load(h, "l2", dim = NULL), "give dim", class = "hnswlibrs_format")
  unlink(h)
  expect_error(ann$save(NULL), "filename must be one file name", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_from_raw(NULL, "l2", dim = 4), "bytes must be a raw vector",
               class = "hnswlibrs_invalid_argument")
  # labels are vectors: NULL is zero labels, as in R's vectorised functions
  ann$markDeleted(NULL)
  expect_equal(ann$getDeletedCount(), 0)
  expect_equal(ann$size(), 20)
})

test_that("unknown labels are hnswlibrs_label_not_found errors", {
  ann <- small_index()$ann
  cls <- "hnswlibrs_label_not_found"
  expect_error(ann$getItems(c(1, 99)), "Label not found: 99", class = cls)
  expect_error(ann$markDeleted(99), "Label not found: 99", class = cls)
  expect_error(ann$unmarkDeleted(99), "Label not found: 99", class = cls)
  expect_error(ann$isDeleted(99), "Label not found: 99", class = cls)
})

test_that("an object without a live index is an error, and a serialised index comes back", {
  s <- small_index()
  # an index object whose handle is not an index (never created, or replaced)
  blank <- new(HnswL2)
  expect_error(blank$size(), "not an hnswlibrs index", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_search(s$X, blank, k = 1), "not an hnswlibrs index", class = "hnswlibrs_invalid_argument")
  broken <- s$ann$copy()
  broken$handle <- NULL
  expect_error(hnsw_search(s$X, broken, k = 1), "not an hnswlibrs index", class = "hnswlibrs_invalid_argument")
  broken$handle <- list(1)
  expect_error(broken$addItems(s$X), "not an hnswlibrs index", class = "hnswlibrs_invalid_argument")
  # A saved R session stores the index itself (not a stale pointer): readRDS, or a new
  # R process, gets a working copy.
  f <- tempfile(fileext = ".rds")
  saveRDS(s$ann, f)
  expect_equal(hnsw_search(s$X, readRDS(f), k = 3), hnsw_search(s$X, s$ann, k = 3))
  rm(s)
  gc()
})

test_that("missing, unreadable and corrupted files are hnswlibrs_io / hnswlibrs_format errors", {
  s <- small_index()
  expect_error(hnsw_load(tempfile(), "l2", dim = 4), "I/O error", class = "hnswlibrs_io")
  expect_error(hnsw_load(tempdir(), "l2", dim = 4), class = "hnswlibrs_io")
  expect_error(s$ann$save(file.path(tempfile(), "no", "dir.hnsw")), "I/O error", class = "hnswlibrs_io")
  f <- tempfile(fileext = ".hnsw")
  s$ann$save(f)
  bytes <- readBin(f, "raw", file.size(f))
  for (bad in list(bytes[1:(length(bytes) %/% 2)], as.raw(rep(255, length(bytes))), raw(0))) {
    g <- tempfile()
    writeBin(bad, g)
    expect_error(hnsw_load(g, "l2", dim = 4), "corrupted", class = "hnswlibrs_format")
    expect_error(hnsw_from_raw(bad, "l2", dim = 4), "corrupted", class = "hnswlibrs_format")
  }
  expect_error(hnsw_load(f, "l2", dim = 5), class = "hnswlibrs_format")
})
