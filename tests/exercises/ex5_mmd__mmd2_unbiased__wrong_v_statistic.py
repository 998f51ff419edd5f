# wrong: the biased V-statistic (diagonal kept, every sum a plain mean)
k_xx, k_yy, k_xy = (
    rbf_kernel(x, x, bandwidth),
    rbf_kernel(y, y, bandwidth),
    rbf_kernel(x, y, bandwidth),
)
return k_xx.mean() + k_yy.mean() - 2 * k_xy.mean()
