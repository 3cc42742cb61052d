"""The long tasks: invert() (a photo -> a latent and a tuned model, `draggan project`) and evaluate()
(`draggan eval`)."""
import json as _json

from . import _engine


class Inversion:
    """What invert() found. Unpacks as (model, w), ready for DragSession(model, w).

    model           the pivotal-tuned copy of the model (the model itself when no tuning ran)
    w               the pivot latent, float32 [1, num_ws, w_dim]
    target          the photo as fitted to the model, uint8 [H, W, C] (what the scores compare against)
    reconstruction  model's image of w, uint8 [H, W, C]
    psnr, ssim      of the reconstruction (after tuning when it ran)
    projected       {'psnr', 'ssim'} after projection; tuned: the same after tuning, or None
    perceptual      the perceptual term used: 'lpips-vgg16', 'discriminator' or 'none'
    cancelled       stopped early (the progress function returned False): the fields hold what was reached
    """

    def __init__(self, model, w, target, reconstruction, perceptual, projected, tuned, cancelled):
        self.model, self.w, self.target, self.reconstruction = model, w, target, reconstruction
        self.perceptual, self.cancelled = perceptual, cancelled
        self.projected = {"psnr": projected[0], "ssim": projected[1]}
        self.tuned = None if tuned is None else {"psnr": tuned[0], "ssim": tuned[1]}
        final = self.tuned or self.projected
        self.psnr, self.ssim = final["psnr"], final["ssim"]

    def __iter__(self):
        return iter((self.model, self.w))

    def __repr__(self):
        return (f"<Inversion PSNR {self.psnr:.2f} dB, SSIM {self.ssim:.4f}, "
                f"{'tuned' if self.tuned else 'not tuned'}{', cancelled' if self.cancelled else ''}>")


def invert(model, image, *, schedule="fast", steps=None, pti_steps=None, lr=None, pti_lr=None, w_plus=True,
           perceptual="auto", vgg=None, lpips=None, fit="crop", seed=303, optimize_noise=False, progress=None,
           preview_every=0):
    """Projects a photo into the model (and pivotal-tunes it), as `draggan project`; returns an Inversion,
    which unpacks as (tuned_model, w) for DragSession.

    image      uint8 [H, W, C] (C = 1, 3, or 4: alpha dropped) array, or an image file name
    schedule   'fast' (80 projection steps, the first 60% on a coarse image, then 40 tuning steps; ~75 s on two
               cores at 256 px) or 'full' (the reference 1000 + 350 steps)
    steps, pti_steps, lr, pti_lr   override the schedule's (pti_steps=0: no tuning)
    w_plus     project into W+ (True) or W
    perceptual 'auto', 'lpips' (needs vgg= and lpips= weight files), 'discriminator' or 'none'
    fit        'crop' (the centre, at the model's aspect) or 'pad'
    progress   called after every optimiser step with a dict (stage 'projection'|'pti', step, total, loss,
               mse, preview: uint8 image or None); returning False stops early (Inversion.cancelled)
    preview_every  render a preview for progress every N steps (0: never)

    Runs without the GIL; Ctrl-C raises KeyboardInterrupt within a step.
    """
    vgg = None if vgg is None else str(vgg)
    lpips = None if lpips is None else str(lpips)
    fields = _engine.invert(model, image, schedule, steps, pti_steps, lr, pti_lr, bool(w_plus), perceptual, vgg,
                            lpips, fit, seed, bool(optimize_noise), progress, preview_every)
    return Inversion(*fields)


def evaluate(model, *, drags=54, seed=0, psi=0.7, max_steps=None, classifier="auto", vgg=None, lpips=None,
             report=None, json=None, progress=None, **settings):
    """Measures how well drags work on a model, as `draggan eval` (README "draggan eval"); returns the document
    its --json writes: {'summary': ..., 'drags': [...], ...}.

    drags, seed, psi   the seeded drag set (drag i depends only on (seed, i)); max_steps per drag (None: the
                       model's, else 200)
    classifier         'auto' (<model stem>.classifier.safetensors beside the model when present), a path,
                       or None
    vgg, lpips         LPIPS weight files (both) for 1 - LPIPS outside the moved region
    report, json       also write the report folder (images, contact sheets, index.html) / the JSON file
    progress           called after each drag with (done, total, that drag's record)
    settings           drag settings as for DragSession (lr=, r1=, ...)

    Each drag runs without the GIL; Ctrl-C raises KeyboardInterrupt between drags.
    """
    doc = _engine.evaluate(model, drags, seed, psi, max_steps, "none" if classifier is None else str(classifier),
                           None if vgg is None else str(vgg), None if lpips is None else str(lpips),
                           None if report is None else str(report), None if json is None else str(json), progress,
                           **settings)
    return _json.loads(doc)
