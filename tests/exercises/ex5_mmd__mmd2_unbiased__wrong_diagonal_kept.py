# wrong: the within-sample sums keep the diagonal k(x_i, x_i) = 1 but divide by n(n - 1)
n, m = len(x), len(y)
k_xx, k_yy, k_xy = (
    rbf_kernel(x, x, bandwidth),
    rbf_kernel(y, y, bandwidth),
    rbf_kernel(x, y, bandwidth),
)
return k_xx.sum() / (n * (n - 1)) + k_yy.sum() / (m * (m - 1)) - 2 * k_xy.mean()
