# wrong: the within-sample sums divided by n(n - 1) twice
n, m = len(x), len(y)
k_xx, k_yy, k_xy = (
    rbf_kernel(x, x, bandwidth),
    rbf_kernel(y, y, bandwidth),
    rbf_kernel(x, y, bandwidth),
)
within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (n * (n - 1)) / (n * (n - 1))
within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1)) / (m * (m - 1))
return within_x + within_y - 2 * k_xy.mean()
