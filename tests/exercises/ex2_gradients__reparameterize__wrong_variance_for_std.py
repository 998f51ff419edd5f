# wrong: ε scaled by the variance σ² = exp(log_var) instead of the standard deviation σ
return mu + log_var.exp() * eps
