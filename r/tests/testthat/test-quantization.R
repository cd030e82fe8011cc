# Quantized storage: 8-/4-bit codes that searches walk, with exact re-ranking.

# Exact k nearest neighbours of the rows of Q among the rows of X for a built-in distance.
exact_for <- function(distance, X, Q, k) {
  unit <- function(M) M / sqrt(rowSums(M^2))
  switch(distance,
         l2 = exact_knn(X, Q, k),
         cosine = exact_knn(unit(X), unit(Q), k),
         ip = t(apply(Q, 1, function(q) order(-as.vector(X %*% q))[1:k])))
}

test_that("sq8 keeps the recall of the unquantized index at equal ef, sq4 with its rerank", {
  d <- clustered_data(4000, 200, 32)
  for (distance in c("l2", "cosine", "ip")) {
    truth <- exact_for(distance, d$X, d$Q, 10)
    plain <- hnsw_build(d$X, distance = distance, M = 12, ef = 100)
    r0 <- recall(hnsw_search(d$Q, plain, k = 10, ef = 40)$idx, truth)
    for (mode in c("sq8", "sq4")) {
      ann <- hnsw_build(d$X, distance = distance, M = 12, ef = 100, quantization = mode)
      expect_equal(ann$getQuantization(), mode)
      expect_true(ann$isTrained())
      expect_true(ann$keepsVectors())
      # Built with exact distances: the same graph, the same hnswlib file.
      expect_identical(ann$toRaw(), plain$toRaw())
      r <- recall(hnsw_search(d$Q, ann, k = 10, ef = 40)$idx, truth)
      if (mode == "sq8" || distance != "cosine") {
        expect_gte(r, r0 - 0.01)
      } else {
        # 4-bit codes of normalised vectors rank candidates less well: re-rank
        # deeper (8 x k) from a longer list (ef 80).
        plain80 <- recall(hnsw_search(d$Q, plain, k = 10, ef = 80)$idx, truth)
        deep <- recall(hnsw_search(d$Q, ann, k = 10, ef = 80, rerank = 8)$idx, truth)
        expect_gte(deep, plain80 - 0.03)
      }
      # Re-ranking only k candidates loses recall: the default depth (2 for sq8,
      # 4 for sq4) is what brings it back.
      shallow <- recall(hnsw_search(d$Q, ann, k = 10, ef = 40, rerank = 1)$idx, truth)
      expect_lt(shallow, r)
    }
  }
})

test_that("re-ranked distances are exact; codes-only distances are close", {
  d <- clustered_data(2000, 30, 24, clusters = 10)
  plain <- hnsw_build(d$X, distance = "l2")
  exact <- hnsw_search(d$Q, plain, k = 5, ef = 50)
  l2 <- function(q, j) sum((d$Q[q, ] - d$X[j, ])^2)
  for (mode in c("sq8", "sq4")) {
    ann <- hnsw_build(d$X, distance = "l2", quantization = mode, n_threads = 2)
    res <- hnsw_search(d$Q, ann, k = 5, ef = 50)
    same <- res$idx == exact$idx
    expect_gte(mean(same), 0.95)
    expect_identical(res$dist[same], exact$dist[same])
    expect_equal(res$dist[3, 2], l2(3, res$idx[3, 2]), tolerance = 1e-5)
    expect_equal(ann$getItems(c(5, 9)), d$X[c(5, 9), ], tolerance = 1e-6)
  }
  codes <- hnsw_build(d$X, distance = "l2", quantization = "sq8", keep_vectors = FALSE)
  expect_false(codes$keepsVectors())
  res <- hnsw_search(d$Q, codes, k = 5, ef = 50)
  expect_gte(mean(res$idx == exact$idx), 0.8)
  true_dist <- sapply(1:5, function(j) l2(1, res$idx[1, j]))
  expect_false(identical(res$dist[1, ], true_dist))
  expect_equal(res$dist[1, ], true_dist, tolerance = 0.01)
  # The vectors come back as their codes stand for them: close, not equal.
  err <- max(abs(codes$getItems(1:20) - d$X[1:20, ]))
  expect_gt(err, 0)
  expect_lt(err, 0.02)
})

test_that("the re-ranking depth is set on the index or per search", {
  d <- clustered_data(1500, 20, 8)
  plain <- hnsw_build(d$X, distance = "l2")
  expect_equal(plain$getQuantization(), "none")
  expect_true(plain$keepsVectors())
  expect_false(plain$isTrained())
  ann <- hnsw_index("cosine", dim = 8, max_elements = 1500, quantization = "sq4")
  expect_equal(ann$getRerank(), 4)
  expect_equal(hnsw_build(d$X, quantization = "sq8")$getRerank(), 2)
  ann$addItems(d$X[1:999, ])
  expect_false(ann$isTrained())
  ann$addItems(d$X[1000:1500, ])
  expect_true(ann$isTrained())
  expect_identical(ann$setRerank(6), ann)
  expect_equal(ann$getRerank(), 6)
  expect_equal(ann$info()[c("quantization", "keep_vectors", "trained", "rerank")],
               list(quantization = "sq4", keep_vectors = TRUE, trained = TRUE, rerank = 6))
  expect_output(print(ann), "ef 10, sq4 codes and vectors")
  ann$setEf(50)
  q <- d$Q[1:5, ]
  for (r in c(1, 10)) {
    ann$setRerank(r)
    by_index <- ann$getAllNNsList(q, 5)
    ann$setRerank(6)
    expect_equal(ann$getAllNNsList(q, 5, rerank = r), by_index)
    expect_equal(ann$getAllNNs(q, 5, rerank = r), by_index$item)
    expect_equal(ann$getAllNNsCol(t(q), 5, rerank = r), t(by_index$item))
    expect_equal(ann$getAllNNsListCol(t(q), 5, rerank = r)$distance, t(by_index$distance))
    expect_equal(ann$getNNs(q[2, ], 5, rerank = r), by_index$item[2, ])
    expect_equal(ann$getNNsList(q[2, ], 5, rerank = r)$distance, by_index$distance[2, ])
    expect_equal(hnsw_search(q, ann, k = 5, ef = 50, rerank = r)$idx, by_index$item)
  }
  # per-call values are not stored
  expect_equal(ann$getRerank(), 6)
  nn <- hnsw_knn(d$X, k = 3, distance = "l2", quantization = "sq8", rerank = 3)
  expect_equal(nn$idx[, 1], seq_len(nrow(d$X)))
  expect_equal(nn$dist[, 1], rep(0, nrow(d$X)))
})

test_that("index files load into quantized indexes, which save the same file", {
  d <- clustered_data(2500, 100, 20, clusters = 10)
  truth <- exact_knn(d$X, d$Q, 10)
  plain <- hnsw_build(d$X, distance = "l2", M = 12, ef = 100)
  f <- tempfile(fileext = ".hnsw")
  on.exit(unlink(f))
  plain$save(f)
  r0 <- recall(hnsw_search(d$Q, plain, k = 10, ef = 64)$idx, truth)
  loaded <- list(
    hnsw_load(f, "l2", dim = 20, quantization = "sq8"),
    new(HnswL2, 20, f, quantization = "sq4"),
    new(HnswL2, 20, f, 3000, quantization = "sq8", keep_vectors = FALSE),
    hnsw_from_raw(plain$toRaw(), "l2", dim = 20, quantization = "sq4")
  )
  expect_equal(sapply(loaded, function(a) a$getQuantization()), c("sq8", "sq4", "sq8", "sq4"))
  expect_equal(sapply(loaded, function(a) a$keepsVectors()), c(TRUE, TRUE, FALSE, TRUE))
  expect_equal(loaded[[3]]$getMaxElements(), 3000)
  for (a in loaded) {
    expect_true(a$isTrained())
    r <- recall(hnsw_search(d$Q, a, k = 10, ef = 64)$idx, truth)
    expect_gte(r, if (a$keepsVectors()) r0 - 0.01 else 0.85)
  }
  expect_identical(loaded[[1]]$toRaw(), plain$toRaw())
  expect_identical(loaded[[2]]$toRaw(), plain$toRaw())
})

test_that("saveRDS/readRDS keep a quantized index quantized", {
  d <- clustered_data(2000, 50, 16)
  ann <- hnsw_build(d$X, distance = "euclidean", quantization = "sq8")
  ann$setEf(30)
  ann$setRerank(3)
  r0 <- hnsw_search(d$Q, ann, k = 5, ef = 30)
  f <- tempfile(fileext = ".rds")
  on.exit(unlink(f))
  saveRDS(ann, f)
  back <- readRDS(f)
  expect_s4_class(back, "HnswEuclidean")
  expect_equal(back$getQuantization(), "sq8")
  expect_true(back$keepsVectors())
  expect_true(back$isTrained())
  expect_equal(back$getRerank(), 3)
  expect_equal(back$getEf(), 30)
  expect_equal(hnsw_search(d$Q, back, k = 5, ef = 30), r0)
  expect_identical(back$toRaw(), ann$toRaw())
  sq4 <- unserialize(serialize(hnsw_build(d$X, quantization = "sq4"), NULL))
  expect_equal(sq4$getQuantization(), "sq4")
  expect_equal(sq4$getRerank(), 4)
  # A codes-only index that has not learnt its codes yet still holds its vectors:
  # it serialises, and comes back codes-only.
  small <- hnsw_index("l2", dim = 16, max_elements = 2000, quantization = "sq8",
                      keep_vectors = FALSE)
  small$addItems(d$X[1:500, ])
  copy <- unserialize(serialize(small, NULL))
  expect_false(copy$keepsVectors())
  expect_false(copy$isTrained())
  copy$addItems(d$X[501:2000, ])
  expect_true(copy$isTrained())
  expect_error(serialize(copy, NULL), class = "hnswlibrs_state")
})

test_that("a codes-only index cannot be saved or serialised, and stays usable", {
  d <- clustered_data(1500, 10, 8)
  codes <- hnsw_build(d$X, distance = "l2", quantization = "sq4", keep_vectors = FALSE)
  expect_output(print(codes), "sq4 codes only")
  f <- tempfile(fileext = ".hnsw")
  expect_error(codes$save(f), "codes-only index .* cannot be saved in hnswlib's format",
               class = "hnswlibrs_state")
  expect_false(file.exists(f))
  expect_error(codes$save(f, sync = FALSE), class = "hnswlibrs_state")
  expect_error(codes$toRaw(), "codes-only", class = "hnswlibrs_state")
  rds <- tempfile(fileext = ".rds")
  on.exit(unlink(rds))
  e <- expect_error(saveRDS(codes, rds), "cannot be serialised", class = "hnswlibrs_state")
  expect_match(conditionMessage(e), "keep_vectors = TRUE can", fixed = TRUE)
  expect_error(serialize(list(a = 1, index = codes), NULL), "codes-only",
               class = "hnswlibrs_state")
  # nothing broke: the index still adds and searches
  codes$resizeIndex(1501)
  codes$addItem(d$X[1, ] + 0.01)
  expect_equal(codes$size(), 1501)
  expect_equal(length(codes$getNNs(d$Q[1, ], 3)), 3)
})

test_that("bad quantization, keep_vectors and rerank values give clear errors", {
  X <- random_data(1200, 4)
  unknown <- "unknown quantization \"sq16\": use \"none\", \"sq8\" or \"sq4\""
  expect_error(hnsw_build(X, quantization = "sq16"), unknown, fixed = TRUE,
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_knn(X, quantization = "SQ8"), "unknown quantization", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_index("l2", dim = 4, max_elements = 1, quantization = "sq16"), unknown, fixed = TRUE)
  expect_error(new(HnswL2, 4, 10, quantization = "sq16"), unknown, fixed = TRUE)
  expect_error(hnsw_from_raw(hnsw_build(X)$toRaw(), "l2", dim = 4, quantization = "sq16"), unknown,
               fixed = TRUE)
  for (bad in list(8, c("sq8", "sq4"), NULL, NA)) {
    expect_error(hnsw_index("l2", dim = 4, max_elements = 1, quantization = bad),
                 "quantization must be one string", class = "hnswlibrs_invalid_argument")
  }
  l2 <- function(a, b) sum((a - b)^2)
  expect_error(hnsw_index(l2, dim = 4, max_elements = 10, quantization = "sq8"),
               "quantization sq8 needs an f32 space (l2, ip or cosine), not custom", fixed = TRUE,
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_build(X, distance = l2, quantization = "sq4"), "needs an f32 space")
  expect_error(hnsw_build(X, keep_vectors = NA), "keep_vectors must be TRUE or FALSE")
  expect_error(hnsw_index("l2", dim = 4, max_elements = 1, keep_vectors = "no"), "keep_vectors must be TRUE or FALSE")
  expect_error(new(HnswL2, 4, 10, keep_vectors = 1), "keep_vectors must be TRUE or FALSE")
  ann <- hnsw_build(X, quantization = "sq8")
  for (bad in list(NaN, NA, Inf, -Inf, "2", c(1, 2), 1e39)) {
    expect_error(hnsw_search(X[1:2, ], ann, k = 2, rerank = bad),
                 "rerank must be one finite number or NULL, got", class = "hnswlibrs_invalid_argument")
    expect_error(ann$setRerank(bad), "rerank must be one finite number, got",
                 class = "hnswlibrs_invalid_argument")
  }
  expect_error(ann$getNNs(X[1, ], 2, rerank = NaN), "got NaN", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_knn(X, k = 2, quantization = "sq8", rerank = NA), "got NA")
  expect_error(ann$setRerank(NULL), "got NULL")
  expect_error(ann$setRerank(1e39), "1e39, beyond single precision")
  expect_equal(ann$getRerank(), 2)
})
