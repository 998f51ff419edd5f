# right: a Python loop over the points of a, one row of the matrix at a time
rows = []
for a_i in a:
    sq_dists = ((a_i - b) ** 2).sum(1)  # [m]
    rows.append(torch.exp(-sq_dists / (2 * bandwidth * bandwidth)))
return torch.stack(rows)
