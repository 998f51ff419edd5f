# right: Python loops over the points, one row of the kernel matrices at a time, in float32
n, m = len(x), len(y)
x32, y32 = x.float(), y.float()
within_x = within_y = cross = 0.0
for i in range(n):
    row = rbf_kernel(x32[i : i + 1], x32, bandwidth)[0]
    within_x += float(row.sum() - row[i])
    cross += float(rbf_kernel(x32[i : i + 1], y32, bandwidth).sum())
for j in range(m):
    row = rbf_kernel(y32[j : j + 1], y32, bandwidth)[0]
    within_y += float(row.sum() - row[j])
return torch.tensor(within_x / (n * (n - 1)) + within_y / (m * (m - 1)) - 2 * cross / (n * m))
