# right: the off-diagonal entries picked with a boolean mask and averaged
off_x = ~torch.eye(len(x), dtype=torch.bool)
off_y = ~torch.eye(len(y), dtype=torch.bool)
k_xx, k_yy = rbf_kernel(x, x, bandwidth)[off_x], rbf_kernel(y, y, bandwidth)[off_y]
return k_xx.mean() + k_yy.mean() - 2 * rbf_kernel(x, y, bandwidth).mean()
