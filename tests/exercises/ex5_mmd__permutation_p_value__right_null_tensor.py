# right: all permuted statistics collected in one tensor, then counted at once
observed = float(mmd2_unbiased(x, y, bandwidth))
pooled = torch.cat([x, y])
null = []
for _ in range(permutations):
    order = torch.randperm(len(x) + len(y), generator=generator)
    null.append(float(mmd2_unbiased(pooled[order[: len(x)]], pooled[order[len(x) :]], bandwidth)))
return float((1 + (torch.tensor(null) >= observed).sum()) / (1 + permutations))
