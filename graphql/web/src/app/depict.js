// 2D depiction with openchemlib-js, loaded lazily (about 1 MB) the first time
// a molecule is drawn. Each atom gets one <circle class="event" id="…:Atom:i">
// in the SVG; atom contributions colour those circles.
let oclPromise = null;

function ocl() {
  if (!oclPromise) oclPromise = import('openchemlib');
  return oclPromise;
}

let n = 0;

// depict returns an SVG string for the SMILES (or throws).
export async function depict(smiles, width = 320, height = 220, contributions) {
  const OCL = await ocl();
  const mol = OCL.Molecule.fromSmiles(smiles);
  const id = `mol${++n}`;
  let svg = mol.toSVG(width, height, id, { suppressChiralText: true });
  if (contributions && contributions.length) {
    const max = Math.max(1e-9, ...contributions.map((c) => Math.abs(c)));
    svg = svg.replace(/<circle([^>]*?)id="([^"]*?):Atom:(\d+)"([^>]*?)\/?>/g, (m, a, pre, i, b) => {
      const c = contributions[Number(i)] ?? 0;
      const col = c >= 0 ? `rgba(207,34,46,${(Math.abs(c) / max).toFixed(2)})` : `rgba(9,105,218,${(Math.abs(c) / max).toFixed(2)})`;
      const cleaned = `${a}id="${pre}:Atom:${i}"${b}`.replace(/fill="[^"]*"/, '').replace(/fill-opacity="[^"]*"/, '').replace(/opacity="[^"]*"/, '');
      return `<circle${cleaned} fill="${col}" data-contribution="${c.toFixed(3)}"/>`;
    });
  }
  return svg;
}
