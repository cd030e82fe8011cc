# The native file format (hnsw_save(format = "native")): loading without the distance or
# the dimension, and read-only memory-mapped views (hnsw_load(mmap = TRUE)); hnswlib's
# format stays the default.

native_file <- function(ann) {
  f <- tempfile(fileext = ".hnsw")
  hnsw_save(ann, f, format = "native")
  f
}

# The file's first bytes: the native format's magic, or none.
is_native_file <- function(f) {
  identical(readBin(f, "raw", 8), as.raw(c(0x48, 0x4e, 0x53, 0x57, 0x4c, 0x52, 0x53, 0x1a)))
}

# What a native file records, from $info() (searches set ef: compare before them).
recorded <- function(ann) {
  keep <- c("distance", "dim", "size", "deleted", "max_elements", "M", "ef_construction", "ef",
            "quantization", "keep_vectors", "trained", "rerank", "allow_replace_deleted")
  ann$info()[keep]
}

test_that("a native file loads with no distance or dim, as it was saved", {
  d <- clustered_data(1500, 50, 12)
  for (distance in c("euclidean", "cosine", "ip")) {
    ann <- hnsw_build(d$X, distance = distance, M = 10, ef = 60)
    ann$setEf(37)
    ann$markDeleted(c(3, 7))
    f <- native_file(ann)
    raw <- ann$toRaw(format = "native")
    expect_identical(raw, readBin(f, "raw", file.size(f)))
    expect_true(is_native_file(f))
    back <- hnsw_load(f)
    expect_s4_class(back, class(ann)[1])
    expect_equal(recorded(back), recorded(ann))
    expect_equal(back$getEf(), 37)
    expect_equal(back$isDeleted(c(3, 7, 8)), c(TRUE, TRUE, FALSE))
    expect_false(back$isView())
    expect_identical(hnsw_search(d$Q, back, k = 10), hnsw_search(d$Q, ann, k = 10), info = distance)
    # the same bytes from a raw vector, and a named distance and dim that are the file's
    expect_identical(hnsw_search(d$Q, hnsw_from_raw(raw), k = 10), hnsw_search(d$Q, ann, k = 10))
    named <- hnsw_load(f, distance = distance, dim = 12)
    expect_identical(hnsw_search(d$Q, named, k = 10), hnsw_search(d$Q, ann, k = 10))
    # a loaded native index is an ordinary index: it grows and saves
    back$resizeIndex(1600)
    back$addItems(d$Q[1:5, ])
    expect_equal(back$size(), 1505)
    unlink(f)
  }
})

test_that("an l2 file loads as HnswEuclidean unless distance = \"l2\"", {
  X <- random_data(400, 5)
  ann <- hnsw_build(X, distance = "l2")
  f <- native_file(ann)
  e <- hnsw_load(f)
  expect_s4_class(e, "HnswEuclidean")
  l2 <- hnsw_load(f, distance = "l2")
  expect_s4_class(l2, "HnswL2")
  r <- hnsw_search(X[1:10, ], ann, k = 4)
  expect_identical(hnsw_search(X[1:10, ], l2, k = 4), r)
  re <- hnsw_search(X[1:10, ], e, k = 4)
  expect_identical(re$idx, r$idx)
  expect_equal(re$dist, sqrt(r$dist), tolerance = 1e-6)
  expect_identical(hnsw_search(X[1:10, ], hnsw_load(f, "euclidean", 5), k = 4), re)
})

test_that("hnswlib's format stays the default, and needs dim", {
  X <- random_data(300, 6)
  ann <- hnsw_build(X, distance = "cosine")
  f <- tempfile(fileext = ".hnsw")
  hnsw_save(ann, f)
  expect_false(is_native_file(f))
  ann$save(f)
  expect_false(is_native_file(f))
  expect_identical(ann$toRaw(), readBin(f, "raw", file.size(f)))
  # a format error whether loaded or viewed, as in the core and the other bindings
  expect_error(hnsw_load(f), "does not record|records neither", class = "hnswlibrs_format")
  expect_error(hnsw_load(f, distance = "cosine"), "give dim", class = "hnswlibrs_format")
  expect_error(hnsw_from_raw(ann$toRaw()), "give dim", class = "hnswlibrs_format")
  expect_error(hnsw_load(f, mmap = TRUE), "load it with its space and dim", class = "hnswlibrs_format")
  # without a distance, hnswlib's format reads as "euclidean", as before
  expect_s4_class(hnsw_load(f, dim = 6), "HnswEuclidean")
  back <- hnsw_load(f, "cosine", dim = 6)
  expect_equal(back$getEf(), 10)
  expect_identical(hnsw_search(X[1:5, ], back, k = 3), hnsw_search(X[1:5, ], ann, k = 3))
  expect_error(hnsw_save(ann, f, format = "zip"), "unknown file format", class = "hnswlibrs_invalid_argument")
  expect_error(ann$save(f, format = 1), "format must be one string", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_save(X, f), "ann must be an hnswlibrs index")
  skip_if_not_installed("RcppHNSW")
  theirs <- methods::new(RcppHNSW::HnswCosine, 6, f)
  expect_equal(RcppHNSW::hnsw_search(X[1:5, ], theirs, k = 3)$idx, hnsw_search(X[1:5, ], ann, k = 3)$idx)
})

test_that("a distance or dim that is not the file's is an error", {
  X <- random_data(200, 6)
  f <- native_file(hnsw_build(X, distance = "cosine"))
  expect_error(hnsw_load(f, distance = "ip"), "holds a cosine index of dim 6, not ip",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, dim = 5), "holds a cosine index of dim 6, not dim 5",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, distance = "l2", dim = 6), "cosine", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, mmap = TRUE, distance = "euclidean"), "not l2",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, distance = "manhattan"), class = "hnswlibrs_invalid_argument")
})

test_that("quantized and codes-only indexes keep their codes in the native format", {
  d <- clustered_data(1500, 40, 16)
  sq8 <- hnsw_build(d$X, quantization = "sq8")
  sq8$setRerank(3)
  back <- hnsw_load(native_file(sq8))
  expect_equal(back$getQuantization(), "sq8")
  expect_true(back$isTrained())
  expect_equal(back$getRerank(), 3)
  expect_identical(hnsw_search(d$Q, back, k = 5), hnsw_search(d$Q, sq8, k = 5))
  codes <- hnsw_build(d$X, quantization = "sq4", keep_vectors = FALSE)
  expect_error(codes$toRaw(), class = "hnswlibrs_state")
  f <- native_file(codes)
  for (again in list(hnsw_load(f), hnsw_load(f, mmap = TRUE))) {
    expect_false(again$keepsVectors())
    expect_identical(hnsw_search(d$Q, again, k = 5), hnsw_search(d$Q, codes, k = 5))
  }
  expect_error(hnsw_load(f, quantization = "sq8"), "sq4", class = "hnswlibrs_invalid_argument")
})

test_that("a view searches as the loaded index and reports the file's settings", {
  d <- clustered_data(2000, 100, 8)
  ann <- hnsw_build(d$X, distance = "cosine", M = 12, ef = 80)
  ann$setEf(25)
  ann$markDeleted(5)
  f <- native_file(ann)
  loaded <- hnsw_load(f)
  saved <- recorded(ann)
  expect_equal(recorded(loaded), saved)
  for (view in list(hnsw_load(f, mmap = TRUE), hnsw_load(f, mmap = TRUE, verify = TRUE, populate = TRUE))) {
    expect_s4_class(view, "HnswCosine")
    expect_true(view$isView())
    expect_true(view$info()$view)
    expect_equal(recorded(view), saved)
    expect_output(print(view), "read-only view")
    expect_identical(hnsw_search(d$Q, view, k = 10), hnsw_search(d$Q, loaded, k = 10))
    expect_identical(hnsw_search(d$Q, view, k = 10, n_threads = 2), hnsw_search(d$Q, loaded, k = 10))
    expect_equal(view$getItems(c(1, 2000)), loaded$getItems(c(1, 2000)))
    expect_equal(view$getIdsList(), loaded$getIdsList())
    expect_true(view$isDeleted(5))
    expect_equal(view$checkIntegrity(), loaded$checkIntegrity())
    # settings of this R object: they change searches, not the file
    view$setEf(200)
    expect_equal(view$getEf(), 200)
    expect_identical(hnsw_search(d$Q, view, k = 10, ef = 60), hnsw_search(d$Q, loaded, k = 10, ef = 60))
  }
  expect_false(loaded$isView())
  expect_false(ann$isView())
})

test_that("a view refuses every change with an error naming the read-only view", {
  X <- random_data(300, 4)
  ann <- hnsw_build(X)
  f <- native_file(ann)
  view <- hnsw_load(f, mmap = TRUE)
  ro <- "read-only view"
  expect_error(view$addItems(X[1:3, ]), ro, class = "hnswlibrs_state")
  expect_error(view$addItem(X[1, ]), ro, class = "hnswlibrs_state")
  expect_error(view$addItemsCol(t(X[1:3, ])), ro, class = "hnswlibrs_state")
  expect_error(view$addItems(X[1:3, ], labels = 1:3), ro, class = "hnswlibrs_state")
  expect_error(view$updateItems(1, X[2, , drop = FALSE]), ro, class = "hnswlibrs_state")
  # even a batch that would not fit reports the view, not the capacity
  expect_error(view$addItems(random_data(5000, 4)), ro, class = "hnswlibrs_state")
  expect_error(view$markDeleted(1), ro, class = "hnswlibrs_state")
  expect_error(view$unmarkDeleted(1), ro, class = "hnswlibrs_state")
  expect_error(view$resizeIndex(1000), ro, class = "hnswlibrs_state")
  expect_equal(view$size(), 300)
  expect_false(view$isDeleted(1))
  expect_identical(hnsw_search(X[1:5, ], view, k = 3), hnsw_search(X[1:5, ], ann, k = 3))
})

test_that("a view saves in both formats and serialises as a loaded index", {
  X <- random_data(500, 6)
  ann <- hnsw_build(X, distance = "ip")
  f <- native_file(ann)
  view <- hnsw_load(f, mmap = TRUE)
  r <- hnsw_search(X[1:20, ], ann, k = 5)
  g <- tempfile(fileext = ".hnsw")
  hnsw_save(view, g, format = "native")
  expect_identical(readBin(g, "raw", file.size(g)), readBin(f, "raw", file.size(f)))
  view$save(g)
  expect_false(is_native_file(g))
  expect_identical(hnsw_search(X[1:20, ], hnsw_load(g, "ip", 6), k = 5), r)
  expect_identical(hnsw_search(X[1:20, ], hnsw_from_raw(view$toRaw(), "ip", 6), k = 5), r)
  copy <- unserialize(serialize(view, NULL))
  expect_false(copy$isView())
  expect_identical(hnsw_search(X[1:20, ], copy, k = 5), r)
  copy$resizeIndex(502)
  copy$addItems(X[1:2, ])
  expect_equal(c(copy$size(), view$size()), c(502, 500))
  # the view keeps what it mapped when the file is saved over (a rename) or deleted
  hnsw_save(hnsw_build(X[1:50, ], distance = "ip"), f, format = "native")
  expect_identical(hnsw_search(X[1:20, ], view, k = 5), r)
  unlink(f)
  expect_identical(hnsw_search(X[1:20, ], view, k = 5), r)
  unlink(g)
})

test_that("an index with a custom distance is read with its distance and dim", {
  manhattan <- function(a, b) sum(abs(a - b))
  X <- random_data(60, 3)
  ann <- hnsw_index(manhattan, dim = 3, max_elements = 60, M = 8, ef_construction = 20)
  ann$addItems(X)
  f <- native_file(ann)
  expect_error(hnsw_load(f), "custom distance", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, distance = manhattan), "dim", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, distance = "l2", dim = 3), "custom", class = "hnswlibrs_invalid_argument")
  r <- ann$getNNsList(X[1, ], 3)
  for (back in list(hnsw_load(f, distance = manhattan, dim = 3),
                    hnsw_load(f, distance = manhattan, dim = 3, mmap = TRUE))) {
    expect_equal(back$info()$distance, "R function")
    expect_equal(back$getNNsList(X[1, ], 3), r)
  }
})

test_that("a named custom distance travels with the native file", {
  manhattan <- function(a, b) sum(abs(a - b))
  X <- random_data(60, 3)
  ann <- hnsw_index(manhattan, dim = 3, max_elements = 60, M = 8, ef_construction = 20,
                    distance_name = "l1")
  expect_equal(ann$info()$distance_name, "l1")
  ann$addItems(X)
  f <- native_file(ann)
  r <- ann$getNNsList(X[1, ], 3)
  # the same name: loaded, viewed, or read from bytes
  for (back in list(hnsw_load(f, distance = manhattan, dim = 3, distance_name = "l1"),
                    hnsw_load(f, distance = manhattan, dim = 3, distance_name = "l1", mmap = TRUE),
                    hnsw_from_raw(readBin(f, "raw", file.size(f)), distance = manhattan, dim = 3,
                                  distance_name = "l1"))) {
    expect_equal(back$info()$distance_name, "l1")
    expect_equal(back$getNNsList(X[1, ], 3), r)
  }
  # another name: an error naming both, loaded or viewed
  expect_error(hnsw_load(f, distance = manhattan, dim = 3, distance_name = "manhattan"),
               '"l1".*"manhattan"', class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, distance = manhattan, dim = 3, distance_name = "manhattan", mmap = TRUE),
               '"l1".*"manhattan"', class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f), 'named "l1"', class = "hnswlibrs_invalid_argument")
  # no name: takes the file's, which saveRDS() and native saves keep
  back <- hnsw_load(f, distance = manhattan, dim = 3)
  expect_equal(back$info()$distance_name, "l1")
  again <- unserialize(serialize(back, NULL))
  expect_equal(again$info()$distance_name, "l1")
  g <- native_file(again)
  expect_error(hnsw_load(g, distance = manhattan, dim = 3, distance_name = "l2-ish"), "l2-ish",
               class = "hnswlibrs_invalid_argument")
  # names are for custom distances: 1 to 64 bytes, one string
  expect_null(hnsw_index(manhattan, dim = 3, max_elements = 5)$info()$distance_name)
  expect_null(hnsw_index("l2", dim = 3, max_elements = 5)$info()$distance_name)
  expect_error(hnsw_index("l2", dim = 3, max_elements = 5, distance_name = "l2"), "only custom",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_index(manhattan, dim = 3, max_elements = 5, distance_name = ""), "space name",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_index(manhattan, dim = 3, max_elements = 5, distance_name = strrep("x", 65)),
               "space name", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_index(manhattan, dim = 3, max_elements = 5, distance_name = c("a", "b")),
               "one string", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, distance_name = "l1"), "give that distance",
               class = "hnswlibrs_invalid_argument")
  built <- hnsw_build(X, distance = manhattan, distance_name = "l1", M = 8, ef = 20)
  expect_equal(built$info()$distance_name, "l1")
  unlink(c(f, g))
})

test_that("files a view or a load cannot use give clear errors, never a crash", {
  X <- random_data(300, 4)
  ann <- hnsw_build(X)
  f <- native_file(ann)
  bytes <- readBin(f, "raw", file.size(f))
  h <- tempfile(fileext = ".hnsw")
  ann$save(h)
  expect_error(hnsw_load(h, mmap = TRUE), "native format", class = "hnswlibrs_format")
  expect_error(hnsw_load(h, distance = "euclidean", dim = 4, mmap = TRUE), "native format",
               class = "hnswlibrs_format")
  missing <- tempfile()
  expect_error(hnsw_load(missing), class = "hnswlibrs_io")
  expect_error(hnsw_load(missing, mmap = TRUE), class = "hnswlibrs_io")
  cut <- tempfile()
  for (n in c(4, 100, 300, 5000, length(bytes) - 1)) {
    writeBin(bytes[seq_len(n)], cut)
    expect_error(hnsw_load(cut), class = "hnswlibrs_error", info = n)
    expect_error(hnsw_load(cut, mmap = TRUE), class = "hnswlibrs_error", info = n)
    expect_error(hnsw_load(cut, mmap = TRUE, verify = TRUE), class = "hnswlibrs_error", info = n)
  }
  # garbage after the magic bytes; a damaged header
  writeBin(c(bytes[1:8], as.raw(sample(0:255, 20000, TRUE))), cut)
  expect_error(hnsw_load(cut), class = "hnswlibrs_error")
  expect_error(hnsw_load(cut, mmap = TRUE), class = "hnswlibrs_error")
  bad <- bytes
  bad[30] <- xor(bad[30], as.raw(0xff))
  writeBin(bad, cut)
  expect_error(hnsw_load(cut), class = "hnswlibrs_format")
  expect_error(hnsw_load(cut, mmap = TRUE), class = "hnswlibrs_format")
  expect_error(hnsw_from_raw(bad), class = "hnswlibrs_format")
  writeBin(raw(0), cut)
  expect_error(hnsw_load(cut, mmap = TRUE), class = "hnswlibrs_error")
  # options of loads are refused with mmap = TRUE; flags are checked
  expect_error(hnsw_load(f, mmap = TRUE, max_elements = 1000), "options of loads",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, mmap = TRUE, quantization = "sq8"), "options of loads",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_load(f, mmap = NA), "mmap must be TRUE or FALSE")
  expect_error(hnsw_load(f, mmap = TRUE, verify = "yes"), "verify must be TRUE or FALSE")
  unlink(c(f, h, cut))
})

test_that("forked workers search a view, inherited or opened, like the parent", {
  skip_on_os("windows") # forking
  skip_if_not_installed("parallel")
  d <- clustered_data(2000, 200, 8)
  ann <- hnsw_build(d$X, distance = "l2", n_threads = 2)
  f <- native_file(ann)
  view <- hnsw_load(f, distance = "l2", mmap = TRUE)
  parent <- hnsw_search(d$Q, view, k = 5, ef = 50, n_threads = 2)
  expect_identical(parent, hnsw_search(d$Q, ann, k = 5, ef = 50, n_threads = 2))
  chunks <- split(seq_len(nrow(d$Q)), rep(1:4, length.out = nrow(d$Q)))
  lib <- dirname(find.package("hnswlibrs"))
  search <- function(idx, rows) {
    list(view = idx$isView(),
         res = hnswlibrs::hnsw_search(d$Q[rows, , drop = FALSE], idx, k = 5, ef = 50, n_threads = 2))
  }
  inherited <- fork_each(chunks, function(rows) search(view, rows))
  opened <- fork_each(chunks, function(rows) {
    .libPaths(c(lib, .libPaths()))
    search(hnswlibrs::hnsw_load(f, distance = "l2", mmap = TRUE), rows)
  })
  for (res in list(inherited, opened)) {
    for (i in seq_along(chunks)) {
      expect_true(is.list(res[[i]]), info = paste(format(res[[i]]), collapse = " "))
      expect_true(res[[i]]$view)
      expect_identical(res[[i]]$res$idx, parent$idx[chunks[[i]], , drop = FALSE])
      expect_identical(res[[i]]$res$dist, parent$dist[chunks[[i]], , drop = FALSE])
    }
  }
  expect_true(view$isView())
  expect_identical(hnsw_search(d$Q, view, k = 5, ef = 50, n_threads = 2), parent)
})
