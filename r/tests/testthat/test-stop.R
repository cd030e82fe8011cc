# hnsw_range_search() and hnsw_search_docs() against an R scan.

test_that("range search finds what lies within epsilon, closest first", {
  set.seed(11)
  X <- matrix(runif(2000 * 6), ncol = 6)
  Q <- matrix(runif(20 * 6), ncol = 6)
  for (distance in c("euclidean", "l2")) {
    ann <- hnsw_build(X, distance = distance, progress = NULL)
    eps <- if (distance == "euclidean") 0.4 else 0.16
    res <- hnsw_range_search(Q, ann, epsilon = eps, min_candidates = 200)
    expect_length(res$idx, 20)
    found <- 0
    total <- 0
    for (i in 1:20) {
      d2 <- colSums((t(X) - Q[i, ])^2)
      d <- if (distance == "euclidean") sqrt(d2) else d2
      truth <- which(d <= eps)
      expect_true(all(res$dist[[i]] <= eps + 1e-6))
      expect_false(is.unsorted(res$dist[[i]]))
      expect_equal(res$dist[[i]], d[res$idx[[i]]], tolerance = 1e-5)
      found <- found + length(intersect(res$idx[[i]], truth))
      total <- total + length(truth)
    }
    expect_gt(total, 100)
    expect_gt(found / total, 0.95)
    few <- hnsw_range_search(Q, ann, epsilon = eps, max_results = 2, min_candidates = 200)
    expect_true(all(lengths(few$idx) <= 2))
  }
  # byrow = FALSE reads queries from columns.
  byc <- hnsw_range_search(t(Q), ann, epsilon = 0.16, min_candidates = 200, byrow = FALSE)
  expect_equal(byc, hnsw_range_search(Q, ann, epsilon = 0.16, min_candidates = 200))
})

test_that("range search rejects bad input", {
  X <- matrix(runif(50 * 4), ncol = 4)
  ann <- hnsw_build(X, progress = NULL)
  q <- X[1:2, ]
  expect_error(hnsw_range_search(q, ann, epsilon = NaN), class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_range_search(q, ann, epsilon = -1), "at least 0", class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_range_search(q, ann, epsilon = 1, max_results = 0), "max_results")
  expect_error(hnsw_range_search(q, ann, epsilon = c(1, 2)), "one number")
  expect_error(hnsw_range_search(X[1:2, 1:3], ann, epsilon = 1), "dimensionality",
               class = "hnswlibrs_invalid_argument")
  expect_error(hnsw_range_search(q, "not an index", epsilon = 1), "ann must be")
})

test_that("document search returns the best documents", {
  set.seed(12)
  X <- matrix(runif(2000 * 6), ncol = 6)
  Q <- matrix(runif(20 * 6), ncol = 6)
  docs <- sample(0:69, 2000, replace = TRUE)
  ann <- hnsw_build(X, distance = "l2", progress = NULL)
  res <- hnsw_search_docs(Q, ann, k = 5, doc_ids = docs, ef_collection = 20)
  expect_equal(dim(res$doc), c(20, 5))
  same <- 0
  for (i in 1:20) {
    d <- colSums((t(X) - Q[i, ])^2)
    best <- tapply(d, docs, min)
    want <- as.numeric(names(sort(best))[1:5])
    same <- same + length(intersect(res$doc[i, ], want))
    expect_equal(docs[res$idx[i, ]], res$doc[i, ])
    expect_false(is.unsorted(res$dist[i, ]))
  }
  expect_gte(same / 100, 0.95)
  # NA means no document: those items never come back.
  half <- ifelse(seq_along(docs) %% 2 == 0, docs, NA)
  r2 <- hnsw_search_docs(Q, ann, k = 3, doc_ids = half)
  expect_true(all(r2$idx %% 2 == 0))
  expect_error(hnsw_search_docs(Q, ann, k = 0, doc_ids = docs), "k must be")
  expect_error(hnsw_search_docs(Q, ann, k = 80, doc_ids = docs), class = "hnswlibrs_state")
  expect_error(hnsw_search_docs(Q, ann, k = 2, doc_ids = "a"), "doc_ids")
})
