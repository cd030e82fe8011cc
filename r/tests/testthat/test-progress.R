test_that("a progress function sees the batch and can cancel it, leaving a valid index", {
  X <- random_data(5000, 8)
  seen <- numeric()
  ann <- hnsw_index("l2", dim = 8, max_elements = 5000)
  ann$setNumThreads(2)
  cond <- tryCatch(
    ann$addItems(X, progress = function(done, total) {
      seen <<- c(seen, done)
      expect_equal(total, 5000)
      done < 2000
    }),
    hnswlibrs_cancelled = function(e) e
  )
  expect_s3_class(cond, "hnswlibrs_cancelled")
  expect_match(conditionMessage(cond), "Cancelled after 2000 of 5000 rows; the rows added so far stay in the index")
  expect_equal(cond$done, 2000)
  expect_false(cond$interrupted)
  expect_identical(cond$index, ann)
  expect_equal(seen, c(1000, 2000))
  expect_equal(ann$size(), 2000)
  expect_equal(ann$getIdsList(), 1:2000)
  expect_equal(ann$getNNs(X[1500, ], 1), 1500L)
  # the rest can be added afterwards, under the next labels
  ann$addItems(X[2001:5000, ])
  expect_equal(ann$size(), 5000)
  expect_equal(ann$getNNs(X[4000, ], 1), 4000L)
})

test_that("hnsw_build and hnsw_search accept a progress function", {
  X <- random_data(3000, 4)
  cond <- tryCatch(hnsw_build(X, progress = function(done, total) FALSE),
                   hnswlibrs_cancelled = function(e) e)
  expect_equal(cond$index$size(), 1000)
  ann <- hnsw_build(X, progress = function(done, total) TRUE)
  expect_error(hnsw_search(X, ann, k = 2, progress = function(done, total) FALSE),
               "Cancelled after 1000 of 3000 rows; no results", class = "hnswlibrs_cancelled")
  r <- hnsw_search(X, ann, k = 2, progress = function(done, total) TRUE)
  expect_equal(r$idx[, 1], 1:3000)
})

test_that("Ctrl-C (SIGINT) stops a build between chunks and leaves a valid index", {
  skip_on_os("windows")
  lib <- dirname(find.package("hnswlibrs"))
  flag <- tempfile()
  out <- tempfile()
  script <- tempfile(fileext = ".R")
  writeLines(c(
    sprintf(".libPaths(c('%s', .libPaths()))", lib),
    "library(hnswlibrs)",
    "set.seed(1); X <- matrix(rnorm(400000 * 16), ncol = 16)",
    "ann <- hnsw_index('l2', dim = 16, max_elements = nrow(X))",
    sprintf("file.create('%s')", flag),
    "r <- tryCatch(ann$addItems(X), hnswlibrs_cancelled = function(e) e)",
    "stopifnot(inherits(r, 'hnswlibrs_cancelled'), r$interrupted)",
    "n <- ann$size()",
    "stopifnot(n == r$done, n > 0, n < nrow(X), ann$getNNs(X[n, ], 1) == n)",
    sprintf("cat('interrupted at', n, '\\n', file = '%s')", out)
  ), script)
  shell <- sprintf(
    "'%s' '%s' & pid=$!; while [ ! -f '%s' ]; do sleep 0.1; done; sleep 1; kill -INT $pid; wait $pid",
    file.path(R.home("bin"), "Rscript"), script, flag
  )
  status <- system2("sh", c("-c", shQuote(shell)), stdout = FALSE, stderr = FALSE)
  expect_equal(status, 0)
  expect_true(file.exists(out))
  expect_match(readLines(out), "^interrupted at [0-9]+")
})
