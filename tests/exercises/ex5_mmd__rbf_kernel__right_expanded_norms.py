# right: ||a||^2 + ||b||^2 - 2 a.b with a matrix product, clamped at 0 against round-off
sq_dists = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
return (-sq_dists.clamp(min=0) / (2 * bandwidth * bandwidth)).exp()
