#' @details
#' The package builds and searches HNSW indexes (Malkov and Yashunin's
#' Hierarchical Navigable Small World graphs) with hnswlib-rs, a port of hnswlib
#' to Rust. Its functions and classes mirror RcppHNSW's: [hnsw_build()],
#' [hnsw_search()] and [hnsw_knn()] take the same arguments and return the same
#' shapes, and the index classes [HnswL2], `HnswEuclidean`, `HnswCosine` and
#' `HnswIp` have RcppHNSW's methods, plus labels, updates, undeletion and
#' replacement of deleted items, and optional 8- or 4-bit codes that searches walk
#' before re-ranking exactly (`quantization`, see [hnsw_build()]); `HnswL2u8`
#' (`distance = "l2u8"`) holds vectors of bytes, as hnswlib's `L2SpaceI`. [hnsw_index()]
#' creates an empty index, also with a custom distance; [hnsw_save()] writes index
#' files in hnswlib's format, which RcppHNSW and hnswlib read too, or in
#' hnswlib-rs's native format, which records the distance, dimension and settings;
#' [hnsw_load()] and [hnsw_from_raw()] read both, and `hnsw_load(mmap = TRUE)` opens
#' a native file as a read-only memory-mapped view, shared by the processes that
#' open it. Indexes survive [saveRDS()]/[readRDS()].
#'
#' Labels are 1-based, in arguments, results and error messages, as are the row
#' numbers in error messages.
#'
#' @section Errors:
#' Errors of the index are conditions of class `hnswlibrs_error` (and `error`,
#' `condition`) with a class for their kind, so they can be caught with
#' [tryCatch()]:
#' * `hnswlibrs_invalid_argument`: a wrong dimension, `NA`/`NaN`/`Inf` values
#'   (for `"l2u8"`, values that are not whole numbers from 0 to 255, or a raw
#'   matrix given to an index of another distance), a
#'   matrix of no items to add, a number of labels that differs from the number
#'   of rows, an invalid parameter (e.g. `M`, `ef_construction`) or distance, an
#'   unknown `quantization` or one with a custom distance, a `rerank` that is not
#'   one finite number;
#' * `hnswlibrs_label_not_found`: a label that is not in the index;
#' * `hnswlibrs_capacity`: more items than the index has room for;
#' * `hnswlibrs_state`: an operation the index's state forbids (deleting a deleted
#'   item, undeleting one that is not deleted, replacing deleted items in an index
#'   that does not allow it, resizing below the number of items, saving in
#'   hnswlib's format or serialising an index that keeps only codes, changing a
#'   read-only view) or fewer than `k` results for a query;
#' * `hnswlibrs_io`: a file that cannot be read or written;
#' * `hnswlibrs_format`: a corrupted or incompatible index file or raw vector;
#' * `hnswlibrs_out_of_memory`: an allocation that failed;
#' * `hnswlibrs_distance`: a custom R distance function that failed;
#' * `hnswlibrs_cancelled`: a batch stopped by Ctrl-C or a `progress` function
#'   returning `FALSE`. Its elements are `index` (for adds: the index, holding
#'   the rows added so far; `NULL` for searches), `done` and `total` (rows),
#'   `interrupted` (`TRUE` for Ctrl-C) and `operation` (`"add"` or `"search"`).
#'
#' Arguments checked in R before the index is reached (e.g. `X` not a matrix,
#' `k` or `n_threads` not a whole number, `M` < 2 in [hnsw_build()], `k` larger
#' than the number of items in [hnsw_knn()], an unknown distance name in
#' [hnsw_build()]) give simple errors, as in RcppHNSW.
#'
#' @section Threads and progress:
#' As in RcppHNSW, `n_threads = 0` (the default) works on the calling thread; a
#' larger number builds and searches in parallel. Long batches run in chunks, each
#' in parallel; between chunks R's main thread draws the progress bar
#' (`verbose = TRUE`), calls a `progress` function and looks for Ctrl-C, which
#' stops the batch cleanly (see [hnsw_build()]).
#'
#' @references
#' Malkov, Y. A. and Yashunin, D. A. (2016). Efficient and robust approximate
#' nearest neighbor search using Hierarchical Navigable Small World graphs.
#' arXiv:1603.09320.
#'
#' hnswlib: <https://github.com/nmslib/hnswlib>
#'
#' @aliases hnswlibrs_error hnswlibrs_cancelled
#' @useDynLib hnswlibrs, .registration = TRUE
#' @import methods
"_PACKAGE"
