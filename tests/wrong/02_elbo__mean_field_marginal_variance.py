"""LinearGaussian.mean_field_encoder gives each coordinate the marginal variance Σ_dd of the
posterior instead of the conditional variance 1/Λ_dd that minimises KL(q ‖ p(z|x))."""

import vae_lessons.models as m


def mean_field_encoder(self, *, shift=0.0, scale=1.0):
    def encoder(x):
        post = self.posterior(x)
        std = scale * post.covariance_matrix[0].diagonal().sqrt().expand_as(post.mean)
        return m.diagonal_normal(post.mean + shift, std)

    return encoder


m.LinearGaussian.mean_field_encoder = mean_field_encoder
