# hnsw_build(), hnsw_search() and hnsw_knn(): RcppHNSW's functions, same arguments.

#' Build an HNSW index from the rows (or columns, byrow = FALSE) of X.
#' @export
hnsw_build <- function(X, distance = c("euclidean", "l2", "cosine", "ip"), M = 16, ef = 200,
                       verbose = FALSE, progress = "bar", n_threads = 0, grain_size = 1,
                       byrow = TRUE, random_seed = 100) {
  X <- check_matrix(X)
  n_threads <- check_count(n_threads, "n_threads")
  grain_size <- check_count(grain_size, "grain_size")
  if (M < 2) stop("M cannot be < 2", call. = FALSE)
  if (is.character(distance)) {
    distance <- match.arg(distance)
  }
  nitems <- if (byrow) nrow(X) else ncol(X)
  ndim <- if (byrow) ncol(X) else nrow(X)
  ann <- hnsw_index(distance, dim = ndim, max_elements = nitems, M = M,
                    ef_construction = max(ef, M), random_seed = random_seed)
  tsmessage("Building HNSW index with metric '", if (is.character(distance)) distance else "custom",
            "' ef = ", formatC(ef), " M = ", formatC(M), " using ", n_threads, " threads")
  ann$setNumThreads(n_threads)
  ann$setGrainSize(grain_size)
  ann$add_rows(X, byrow, progress = if (is.function(progress)) progress,
               bar = wants_bar(progress, verbose))
  tsmessage("Finished building index")
  ann
}

#' Search an index for the k nearest neighbours of the rows (or columns) of X.
#' @export
hnsw_search <- function(X, ann, k, ef = 10, verbose = FALSE, progress = "bar", n_threads = 0,
                        grain_size = 1, byrow = TRUE) {
  X <- check_matrix(X)
  if (!is(ann, "HnswIndex")) {
    stop("ann must be an hnswlibrs index (hnsw_build(), hnsw_index(), new(HnswL2, ...))",
         call. = FALSE)
  }
  k <- check_count(k, "k", 1)
  ef <- max(check_count(ef, "ef", 1), k)
  ann$setEf(ef)
  ann$setNumThreads(check_count(n_threads, "n_threads"))
  ann$setGrainSize(check_count(grain_size, "grain_size"))
  tsmessage("Searching HNSW index with ef = ", formatC(ef), " and ", n_threads, " threads")
  res <- ann$search_rows(X, k, byrow, progress = if (is.function(progress)) progress,
                         bar = wants_bar(progress, verbose))
  tsmessage("Finished searching")
  res
}

#' Find the k nearest neighbours of every row of X among the rows of X.
#' @export
hnsw_knn <- function(X, k = 10, distance = c("euclidean", "l2", "cosine", "ip"), M = 16,
                     ef_construction = 200, ef = 10, verbose = FALSE, progress = "bar",
                     n_threads = 0, grain_size = 1, byrow = TRUE, random_seed = 100) {
  X <- check_matrix(X)
  if (M < 2) stop("M cannot be < 2", call. = FALSE)
  ef_construction <- max(ef_construction, k)
  max_k <- if (byrow) nrow(X) else ncol(X)
  if (k > max_k) stop("k cannot be larger than ", max_k, call. = FALSE)
  if (is.character(distance)) distance <- match.arg(distance)
  ann <- hnsw_build(X, distance = distance, M = M, ef = ef_construction, verbose = verbose,
                    progress = progress, n_threads = n_threads, grain_size = grain_size,
                    byrow = byrow, random_seed = random_seed)
  hnsw_search(X, ann, k = k, ef = ef, verbose = verbose, progress = progress,
              n_threads = n_threads, grain_size = grain_size, byrow = byrow)
}
