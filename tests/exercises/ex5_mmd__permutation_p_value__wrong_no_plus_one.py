# wrong: the +1's forgotten, p = #{null >= observed} / P (p can be 0)
observed = mmd2_unbiased(x, y, bandwidth)
pooled, n = torch.cat([x, y]), len(x)
exceed = 0
for _ in range(permutations):
    order = torch.randperm(len(pooled), generator=generator)
    exceed += int(mmd2_unbiased(pooled[order[:n]], pooled[order[n:]], bandwidth) >= observed)
return exceed / permutations
