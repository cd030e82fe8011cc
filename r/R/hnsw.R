# hnsw_build(), hnsw_search() and hnsw_knn(): RcppHNSW's functions, same arguments.

#' Build an HNSW index
#'
#' Builds a Hierarchical Navigable Small World index over the rows of `X` (its
#' columns with `byrow = FALSE`), for approximate nearest-neighbour searches with
#' [hnsw_search()]. The arguments are those of `RcppHNSW::hnsw_build()`.
#'
#' The whole of `X` is checked (dimension, `NA`/`NaN`/`Inf`) before the first item
#' is added, so a bad matrix adds nothing. Items are then added in chunks of about
#' 1% of the rows (at least 1,000 and at most 20,000 rows; 50 rows with an R
#' distance function), each chunk on up to `n_threads` threads. Between chunks
#' R's main thread draws the progress bar, calls a `progress` function and looks
#' for an interrupt (Ctrl-C).
#'
#' @section Cancelling:
#' Ctrl-C, or a `progress` function returning `FALSE`, stops the build before the
#' next chunk with an error condition of class `hnswlibrs_cancelled` (see
#' [hnswlibrs-package]). Its element `index` is the index holding the rows added so
#' far, under their usual labels; it stays usable, so the rest can be added later
#' with `$addItems()`. Its elements `done`, `total`, `interrupted` (`TRUE` for
#' Ctrl-C) and `operation` (`"add"`) say where it stopped.
#'
#' @section Quantized storage:
#' With `quantization = "sq8"` (or `"sq4"`) the index keeps, beside each item, a
#' code of one byte (half a byte) per dimension: dimension by dimension, its value's
#' place in the range of that dimension learnt from the data (values outside the
#' range are coded at its ends). Searches walk the graph comparing the query with
#' these codes, which brings a quarter (an eighth) of the bytes of the vectors
#' through the memory caches, then re-score their best `rerank * k` candidates (at
#' most `ef`) with exact distances. At equal `ef`, recall stays close to the
#' unquantized index's, typically within 0.01 with `"sq8"`; the coarser codes of
#' `"sq4"` need more candidates re-scored (its default `rerank` is 4, against 2 for
#' `"sq8"`), so give it an `ef` of at least `4 * k`. With `"cosine"` (or `"ip"` on
#' vectors of one length) 4-bit codes rank the candidates less well: there
#' `"sq4"` needs a deeper `rerank`, such as 8, with `ef` at least `8 * k`, or
#' `"sq8"`.
#'
#' The codes are learnt once the index holds 1,000 items, from the items present
#' and the batch being added (in `hnsw_build()`, the first chunk, which has at least
#' 1,000 rows); until then the index stores and searches the exact vectors, and
#' `$isTrained()` (see [HnswL2]) is `FALSE`.
#'
#' `keep_vectors = TRUE` (the default) keeps the exact vectors too, so the codes'
#' memory comes on top of theirs: searches return exact distances, the graph is
#' the one an unquantized build makes (it is built with exact distances), and the
#' index saves in hnswlib's format (the same file as unquantized; [hnsw_load()] can
#' make the codes again) and with [saveRDS()], which keeps the mode.
#' `keep_vectors = FALSE` keeps only the codes, for a fraction of the memory:
#' distances are computed on the codes (approximate, and not re-ranked),
#' `$getItems()` returns the vectors the codes stand for, and once the codes are
#' learnt `$save()` and `$toRaw()` in hnswlib's format, [saveRDS()] and
#' [serialize()] fail with an `hnswlibrs_state` error, because hnswlib's format
#' (which [saveRDS()] stores) holds the exact vectors. The native format (see
#' [hnsw_save()]) holds the codes: such an index saves in it and loads back.
#'
#' @section u8 vectors:
#' `distance = "l2u8"` makes an index of vectors of unsigned bytes compared by
#' their squared Euclidean distance summed in integers: hnswlib's `L2SpaceI` (the
#' space of its SIFT benchmark), whose index files it reads and writes. Each item
#' takes `dim` bytes instead of `4 * dim`. `X` (to add, and the queries) is a raw
#' matrix, or an integer or double matrix of whole numbers from 0 to 255: any other
#' value (`NA`, `-1`, `256`, `1.5`) is an `hnswlibrs_invalid_argument` error naming
#' it and its item, and nothing is converted. A raw matrix given to an index of
#' another distance is an `hnswlibrs_invalid_argument` error too. Distances are the
#' exact integer sums (as doubles; exact up to 2^24, as hnswlib returns them); there
#' is no Euclidean (square-rooted) variant: take `sqrt()` of them. `$getItems()`
#' returns an integer matrix. Such an index has class `HnswL2u8` (see [HnswL2]) and
#' cannot be quantized (an `hnswlibrs_invalid_argument` error).
#'
#' @section Differences from RcppHNSW:
#' `progress` may be a function, and builds can be cancelled cleanly; errors from
#' the index are conditions of class `hnswlibrs_error` (see [hnswlibrs-package]);
#' `distance` may be a custom distance; the index may store 8- or 4-bit codes
#' (`quantization`); and the returned index survives [saveRDS()]/[readRDS()].
#'
#' @param X A numeric matrix, one item per row (per column with `byrow = FALSE`).
#'   Integer and logical matrices are converted; values are stored as
#'   single-precision floats, as in hnswlib. With `distance = "l2u8"`, a raw matrix
#'   or whole numbers from 0 to 255 (see the section u8 vectors). Anything but a matrix (e.g. a data
#'   frame or a vector) is an error ("X must be matrix"), and so is a character
#'   matrix; a matrix with no items, or holding `NA`, `NaN` or an infinite value,
#'   is an `hnswlibrs_invalid_argument` error naming the first bad item (1-based).
#' @param distance The distance: `"euclidean"` (the default), `"l2"` (squared
#'   Euclidean), `"cosine"` (1 minus the cosine similarity), `"ip"` (1 minus the
#'   inner product) or `"l2u8"` (squared Euclidean on vectors of bytes, see the
#'   section u8 vectors). Names are matched with [match.arg()], so abbreviations work
#'   and any other name is an error ("should be one of"). A custom distance, an R
#'   function or a native symbol, is accepted too: see [hnsw_index()].
#' @param M The number of neighbours each item is linked to in the graph (hnswlib's
#'   `M`), a whole number from 2 to 10,000. Larger values give better recall for
#'   more memory and build time; 2 to 100 is sensible. Below 2 is an error ("M
#'   cannot be < 2").
#' @param ef The size of the candidate list while building (hnswlib's
#'   `ef_construction`), a whole number; values below `M` are raised to `M`. Larger
#'   values give a better index and a slower build.
#' @param verbose If `TRUE`, log the steps with time stamps through [message()]
#'   and draw the progress bar when `progress = "bar"`.
#' @param progress `"bar"` (the default) draws RcppHNSW's text progress bar on
#'   standard error when `verbose = TRUE`; any other string draws nothing. Or a
#'   function `function(done, total)`, called on R's main thread after each chunk
#'   with the number of items processed so far and their total; returning `FALSE`
#'   stops the work (see the section Cancelling of [hnsw_build()]).
#' @param n_threads The number of threads: 0 (the default) or 1 works on the
#'   calling thread, as in RcppHNSW; a larger number uses up to that many threads,
#'   fewer when there would be under `grain_size` items per thread. A whole
#'   number >= 0, otherwise an error. An index with an R distance function always
#'   works on one thread.
#' @param grain_size The minimum number of items per thread (default 1), a whole
#'   number >= 0.
#' @param byrow `TRUE` (the default) if the items are the rows of `X`, `FALSE` if
#'   they are its columns.
#' @param random_seed The seed of the generator that draws each item's level in
#'   the graph, a whole number >= 0 (default 100). The same data, parameters and
#'   seed give the same index when it is built on one thread.
#' @param quantization What searches compare the query with: `"none"` (the
#'   default) the vectors, as hnswlib; `"sq8"` 8-bit codes of them; `"sq4"` 4-bit
#'   codes (see the section Quantized storage of [hnsw_build()]). Only for the
#'   distances `"euclidean"`, `"l2"`, `"cosine"` and `"ip"`: with a custom distance
#'   it is an `hnswlibrs_invalid_argument` error, and so is any other string
#'   ("unknown quantization") or anything but one string.
#' @param keep_vectors With `quantization`, whether to keep the exact vectors
#'   beside the codes: `TRUE` (the default) for exact distances and an index that
#'   saves in either format, `FALSE` for the codes only (see the section Quantized storage of
#'   [hnsw_build()]). No effect without quantization. Anything but `TRUE` or
#'   `FALSE` is an error.
#' @param distance_name A name for a custom distance (one string of 1 to 64 bytes of
#'   UTF-8), or `NULL` (the default) for none. A file saved in the native format
#'   keeps it (it cannot keep the function), and [hnsw_load()] with a distance of
#'   another name is an `hnswlibrs_invalid_argument` error instead of wrong results;
#'   `$info()$distance_name` reports it. With a built-in distance, which names
#'   itself, or an empty or longer name, it is an `hnswlibrs_invalid_argument` error.
#'
#' @return An index object (a reference object, see [HnswL2] for its methods) of
#'   class `HnswEuclidean`, `HnswL2`, `HnswCosine`, `HnswIp` or `HnswL2u8` according to
#'   `distance` (class `HnswIndex` for a custom distance), holding item `i` under
#'   the label `i` (1-based). Its query-time `ef` is 10 until [hnsw_search()] or
#'   `$setEf()` changes it.
#'
#' @seealso [hnsw_search()], [hnsw_knn()], [hnsw_index()] for an empty index,
#'   [HnswL2] for the methods of the index.
#' @examples
#' X <- matrix(rnorm(200 * 8), ncol = 8)
#' ann <- hnsw_build(X, distance = "l2", M = 12, ef = 100)
#' ann$size()
#' hnsw_search(X[1:3, ], ann, k = 4)$idx
#'
#' # items in columns, two threads
#' ann_col <- hnsw_build(t(X), distance = "cosine", byrow = FALSE, n_threads = 2)
#'
#' # a progress function sees how many items are done
#' ann <- hnsw_build(X, progress = function(done, total) {
#'   cat("added", done, "of", total, "items\n")
#'   TRUE
#' })
#'
#' # 8-bit codes, searched with exact re-ranking (learnt from 1,000 items on)
#' Y <- matrix(rnorm(2000 * 16), ncol = 16)
#' sq8 <- hnsw_build(Y, distance = "l2", quantization = "sq8")
#' c(sq8$getQuantization(), sq8$isTrained(), sq8$getRerank())
#' hnsw_search(Y[1:2, ], sq8, k = 3, ef = 20)$dist
#'
#' # the codes only: less memory, approximate distances, saved in the native format only
#' codes <- hnsw_build(Y, distance = "l2", quantization = "sq8", keep_vectors = FALSE)
#' hnsw_search(Y[1:2, ], codes, k = 3, ef = 20)$dist
#'
#' # u8 vectors (hnswlib's L2SpaceI): a raw matrix, or whole numbers from 0 to 255
#' B <- matrix(sample(0:255, 300 * 16, replace = TRUE), ncol = 16)
#' u8 <- hnsw_build(B, distance = "l2u8")
#' hnsw_search(B[1:2, ], u8, k = 3)$dist # exact integer squared distances
#' u8$getItems(1)
#' hnsw_search(matrix(as.raw(B[1:2, ]), nrow = 2), u8, k = 3)$idx
#' @export
hnsw_build <- function(X, distance = c("euclidean", "l2", "cosine", "ip", "l2u8"), M = 16, ef = 200,
                       verbose = FALSE, progress = "bar", n_threads = 0, grain_size = 1,
                       byrow = TRUE, random_seed = 100, quantization = "none",
                       keep_vectors = TRUE, distance_name = NULL) {
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
                    ef_construction = max(ef, M), random_seed = random_seed,
                    quantization = quantization, keep_vectors = keep_vectors,
                    distance_name = distance_name)
  tsmessage("Building HNSW index with metric '", if (is.character(distance)) distance else "custom",
            "' ef = ", formatC(ef), " M = ", formatC(M), " using ", n_threads, " threads")
  ann$setNumThreads(n_threads)
  ann$setGrainSize(grain_size)
  ann$add_rows(X, byrow, progress = if (is.function(progress)) progress,
               bar = wants_bar(progress, verbose))
  tsmessage("Finished building index")
  ann
}

#' Range search of an HNSW index
#'
#' Finds, for each row of `X` (each column with `byrow = FALSE`), every item of the
#' index within distance `epsilon`, closest first, at most `max_results` of them:
#' hnswlib's epsilon search (`EpsilonSearchStopCondition`), FAISS's `range_search`.
#'
#' The search explores at least `min_candidates` results (hnswlib's
#' `min_num_candidates`, like `ef`), then goes on while the closest waiting candidate
#' lies within `epsilon`: it is approximate, and larger `min_candidates` find more of
#' what is in range. `epsilon` is in the units of the index's distances: the
#' Euclidean distance for `"euclidean"`, its square for `"l2"`, 1 minus the cosine
#' similarity for `"cosine"`, 1 minus the inner product for `"ip"`. A quantized
#' index compares `epsilon` with exact distances. The settings of `ann` are not
#' changed.
#'
#' @inheritParams hnsw_search
#' @param epsilon The radius: one number, not `NA`/`NaN`, and not negative for
#'   `"euclidean"`, `"l2"` and `"cosine"` (an `hnswlibrs_invalid_argument` error).
#' @param max_results The most items to return per query, a whole number >= 1, or
#'   `Inf` (the default) for all within `epsilon`.
#' @param min_candidates How many results the search explores at least, a whole
#'   number >= 1 (default 10); `NULL` uses the index's `ef`.
#' @return A list with elements
#'   \describe{
#'     \item{`idx`}{a list with, for each query, an integer vector of the labels
#'       (1-based) within `epsilon`, closest first;}
#'     \item{`dist`}{a list with, for each query, a double vector of their
#'       distances.}
#'   }
#' @seealso [hnsw_search()] for the `k` nearest neighbours,
#'   [hnsw_search_docs()] for documents of several vectors.
#' @examples
#' X <- matrix(runif(2000 * 4), ncol = 4)
#' ann <- hnsw_build(X, distance = "euclidean")
#' res <- hnsw_range_search(X[1:3, ], ann, epsilon = 0.1, min_candidates = 50)
#' lengths(res$idx)
#' @export
hnsw_range_search <- function(X, ann, epsilon, max_results = Inf, min_candidates = 10, n_threads = 0,
                              grain_size = 1, byrow = TRUE, filter = NULL) {
  X <- check_matrix(X)
  check_ann(ann)
  if (!is.numeric(epsilon) || length(epsilon) != 1) {
    stop("epsilon must be one number", call. = FALSE)
  }
  if (!identical(max_results, Inf)) max_results <- check_count(max_results, "max_results", 1)
  min_candidates <- if (is.null(min_candidates)) -1 else check_count(min_candidates, "min_candidates", 1)
  rs(rs_range_search(ann$handle, X, check_flag(byrow, "byrow"), as.numeric(epsilon), max_results,
                     min_candidates, check_count(n_threads, "n_threads"),
                     check_count(grain_size, "grain_size"), ann$sqrt_dist, filter))
}

#' Multi-vector (document) search of an HNSW index
#'
#' When each item is one vector of a document (the passages of a text, the frames
#' of a video), finds for each row of `X` (each column with `byrow = FALSE`) the
#' `k` best documents, each scored by its closest item: hnswlib's multi-vector
#' search (`MultiVectorSearchStopCondition`).
#'
#' The search collects results from `ef_collection` documents before it may stop
#' (like `ef`, raised to `k`): larger values give better recall and slower
#' searches. Items whose document is `NA` are never returned. The settings of
#' `ann` are not changed.
#'
#' @inheritParams hnsw_search
#' @param k The number of documents to return, a whole number >= 1. When fewer
#'   documents are found for a query the call fails with an `hnswlibrs_state`
#'   error.
#' @param doc_ids The document of each item: a numeric vector indexed by label
#'   (`doc_ids[i]` is the document of label `i`), whole numbers >= 0; `NA`, or a
#'   label past its end, for no document.
#' @param ef_collection How many documents the search collects (default 10), a
#'   whole number >= 1; `NULL` uses the index's `ef`.
#' @return A list with elements
#'   \describe{
#'     \item{`doc`}{a double matrix of the documents, best first;}
#'     \item{`idx`}{an integer matrix of the label (1-based) of each document's
#'       closest item;}
#'     \item{`dist`}{a double matrix of its distance to the query;}
#'   }
#'   each `nrow(X)` x `k` (`k` x `ncol(X)` with `byrow = FALSE`). Distances are as
#'   in [hnsw_search()].
#' @seealso [hnsw_search()], [hnsw_range_search()].
#' @examples
#' X <- matrix(runif(1000 * 4), ncol = 4)
#' docs <- rep(1:100, each = 10) # ten vectors per document
#' ann <- hnsw_build(X)
#' hnsw_search_docs(X[1:2, ], ann, k = 3, doc_ids = docs)$doc
#' @export
hnsw_search_docs <- function(X, ann, k, doc_ids, ef_collection = 10, n_threads = 0, grain_size = 1,
                             byrow = TRUE, filter = NULL) {
  X <- check_matrix(X)
  check_ann(ann)
  k <- check_count(k, "k", 1)
  if (is.null(doc_ids) || (!is.numeric(doc_ids) && !all(is.na(doc_ids)))) {
    stop("doc_ids must be a numeric vector, one document per label", call. = FALSE)
  }
  ef_collection <- if (is.null(ef_collection)) -1 else check_count(ef_collection, "ef_collection", 1)
  rs(rs_search_docs(ann$handle, X, check_flag(byrow, "byrow"), k, as.numeric(doc_ids), ef_collection,
                    check_count(n_threads, "n_threads"), check_count(grain_size, "grain_size"),
                    ann$sqrt_dist, filter))
}

check_ann <- function(ann) {
  if (!is(ann, "HnswIndex")) {
    stop("ann must be an hnswlibrs index (hnsw_build(), hnsw_index(), new(HnswL2, ...))",
         call. = FALSE)
  }
}

#' Search an HNSW index
#'
#' Finds the approximate `k` nearest neighbours of each row of `X` (each column
#' with `byrow = FALSE`) among the items of an index. The arguments and the result
#' are those of `RcppHNSW::hnsw_search()`.
#'
#' As in RcppHNSW, `ef` (raised to `k`), `n_threads` and `grain_size` are stored in
#' `ann`: they stay its settings for later method calls such as `$getNNs()`.
#' Queries are checked (dimension, `NA`/`NaN`/`Inf`) before any search. More than
#' 20,000 queries, or a `progress` function, a progress bar or an R distance
#' function, make the search run in chunks like [hnsw_build()]; a `progress`
#' function returning `FALSE`, or Ctrl-C, then stops it with an
#' `hnswlibrs_cancelled` condition whose `index` is `NULL` (no results are
#' returned).
#'
#' @inheritParams hnsw_build
#' @param X A numeric matrix of queries, one per row (per column with
#'   `byrow = FALSE`), each with as many values as the index's dimension (else an
#'   `hnswlibrs_invalid_argument` error, "Wrong dimensionality"). Converted and
#'   checked as in [hnsw_build()]; a matrix with no queries gives empty results.
#'   For an index of distance `"l2u8"`, a raw matrix or whole numbers from 0 to 255
#'   (see the section u8 vectors of [hnsw_build()]).
#' @param ann An index, from [hnsw_build()], [hnsw_index()], [hnsw_load()],
#'   [hnsw_from_raw()] or `new(HnswL2, ...)` and the like; anything else is an
#'   error.
#' @param k The number of neighbours to return, a whole number >= 1. When the
#'   index cannot find `k` items for a query (it holds fewer than `k` items that
#'   are not deleted, or `ef` is too small for a poorly connected graph), the call
#'   fails with an `hnswlibrs_state` error ("Unable to find k results for query
#'   row i").
#' @param ef The size of the candidate list during the search (default 10), a
#'   whole number >= 1; values below `k` are raised to `k`. Larger values give
#'   better recall and slower searches.
#' @param n_threads,grain_size As in [hnsw_build()], for the search.
#' @param byrow `TRUE` (the default) if the queries are the rows of `X`, `FALSE`
#'   if they are its columns; it also sets the shape of the result.
#' @param rerank For an index with `quantization` (see [hnsw_build()]), how many
#'   candidates this search re-scores with exact distances: the best
#'   `rerank * k`, at most `ef` (values below 1 count as 1). `NULL` (the default)
#'   uses the index's depth, `$getRerank()` (2 for `"sq8"`, 4 for `"sq4"`, or the
#'   value of `$setRerank()`); unlike `ef` it is not stored in the index. Larger
#'   values give better recall and slower searches. Anything but `NULL` or one
#'   finite number is an `hnswlibrs_invalid_argument` error. No effect without
#'   quantization, nor with `keep_vectors = FALSE`.
#' @param filter Which items may be returned: `NULL` (the default) for all, a
#'   logical vector indexed by label (`filter[i]` allows label `i`; labels past its
#'   end are not allowed), or a numeric vector of the allowed labels (labels not in
#'   the index are harmless; an empty vector allows none). It is evaluated by the
#'   engine without calling R.
#'
#' @return A list with elements
#'   \describe{
#'     \item{`idx`}{an integer matrix of the labels (1-based) of the neighbours;}
#'     \item{`dist`}{a double matrix of their distances to the query;}
#'   }
#'   each `nrow(X)` x `k`, one row per query with its neighbours closest first
#'   (`k` x `ncol(X)`, one column per query, with `byrow = FALSE`). Distances are
#'   computed in single precision: for `"euclidean"` the Euclidean distance (the
#'   square root of `"l2"`'s), for `"l2"` its square, for `"cosine"` 1 minus the
#'   cosine similarity, for `"ip"` 1 minus the inner product, and for a custom
#'   distance its value. They are exact for a quantized index that keeps its
#'   vectors, approximate for one that keeps only codes.
#'
#' @seealso [hnsw_build()], [hnsw_knn()], and the methods `$getNNs()` and
#'   `$getAllNNsList()` of [HnswL2].
#' @examples
#' X <- matrix(rnorm(300 * 5), ncol = 5)
#' ann <- hnsw_build(X[1:250, ], distance = "euclidean")
#' res <- hnsw_search(X[251:300, ], ann, k = 5, ef = 20)
#' dim(res$idx)
#' res$dist[1, ]
#'
#' # queries in columns give k x n results
#' res_col <- hnsw_search(t(X[251:260, ]), ann, k = 3, byrow = FALSE)
#' dim(res_col$idx)
#'
#' # a quantized index: a deeper exact re-ranking for one search
#' Y <- matrix(rnorm(2000 * 5), ncol = 5)
#' sq4 <- hnsw_build(Y, quantization = "sq4")
#' hnsw_search(Y[1:3, ], sq4, k = 5, ef = 40, rerank = 8)$idx
#' @export
hnsw_search <- function(X, ann, k, ef = 10, verbose = FALSE, progress = "bar", n_threads = 0,
                        grain_size = 1, byrow = TRUE, rerank = NULL, filter = NULL) {
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
                         bar = wants_bar(progress, verbose), rerank = rerank, filter = filter)
  tsmessage("Finished searching")
  res
}

#' Find the nearest neighbours of every item
#'
#' Builds an index over the rows of `X` (its columns with `byrow = FALSE`) with
#' [hnsw_build()] and searches it with [hnsw_search()] for the approximate `k`
#' nearest neighbours of every item. The arguments and the result are those of
#' `RcppHNSW::hnsw_knn()`.
#'
#' @inheritParams hnsw_build
#' @inheritParams hnsw_search
#' @param k The number of neighbours of each item (default 10), a whole number
#'   from 1 to the number of items; more items is an error ("k cannot be larger
#'   than"). Each item counts as a neighbour of itself.
#' @param ef_construction The size of the candidate list while building (the `ef`
#'   of [hnsw_build()]); raised to `k` and to `M`.
#' @param ef The size of the candidate list while searching (default 10); raised
#'   to `k`.
#'
#' @return `list(idx, dist)` as from [hnsw_search()]: `n` x `k` matrices for `n`
#'   items (`k` x `n` with `byrow = FALSE`) of 1-based integer labels, which are
#'   row (column) numbers of `X`, and double distances, closest first. With
#'   `"euclidean"`, `"l2"` or `"cosine"` the first neighbour of an item is normally
#'   the item itself, at distance 0.
#'
#' @seealso [hnsw_build()] and [hnsw_search()] to keep the index and search it for
#'   other points.
#' @examples
#' X <- matrix(rnorm(300 * 8), ncol = 8)
#' nn <- hnsw_knn(X, k = 5, distance = "l2")
#' dim(nn$idx)
#' head(nn$idx)
#' head(nn$dist)
#'
#' # cosine distances, items in columns, two threads
#' nn_col <- hnsw_knn(t(X), k = 3, distance = "cosine", byrow = FALSE, n_threads = 2)
#' dim(nn_col$idx)
#' @export
hnsw_knn <- function(X, k = 10, distance = c("euclidean", "l2", "cosine", "ip", "l2u8"), M = 16,
                     ef_construction = 200, ef = 10, verbose = FALSE, progress = "bar",
                     n_threads = 0, grain_size = 1, byrow = TRUE, random_seed = 100,
                     quantization = "none", keep_vectors = TRUE, rerank = NULL) {
  X <- check_matrix(X)
  if (M < 2) stop("M cannot be < 2", call. = FALSE)
  ef_construction <- max(ef_construction, k)
  max_k <- if (byrow) nrow(X) else ncol(X)
  if (k > max_k) stop("k cannot be larger than ", max_k, call. = FALSE)
  if (is.character(distance)) distance <- match.arg(distance)
  ann <- hnsw_build(X, distance = distance, M = M, ef = ef_construction, verbose = verbose,
                    progress = progress, n_threads = n_threads, grain_size = grain_size,
                    byrow = byrow, random_seed = random_seed, quantization = quantization,
                    keep_vectors = keep_vectors)
  hnsw_search(X, ann, k = k, ef = ef, verbose = verbose, progress = progress,
              n_threads = n_threads, grain_size = grain_size, byrow = byrow, rerank = rerank)
}
