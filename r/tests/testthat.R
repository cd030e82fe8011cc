library(testthat)
library(hnswlibrs)

test_check("hnswlibrs")
