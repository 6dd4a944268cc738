"""Facts about the six corpora serlib reads: names, language, speakers, licence, citation, source.

:data:`CORPORA` is plain data (a dict per corpus) so that notebook 04 can show it as a
table with ``pandas.DataFrame(CORPORA).T``.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

from pathlib import Path

#: Corpus name -> metadata. ``download`` is ``"auto"`` when ``serlib datasets download NAME``
#: can fetch the official release, ``"manual"`` when it needs a registration.
CORPORA: dict[str, dict] = {
    "ravdess": {
        "full_name": "Ryerson Audio-Visual Database of Emotional Speech and Song",
        "language": "English (North American)",
        "speakers": "24 actors (12 male, 12 female)",
        "emotions": "neutral, calm, happy, sad, angry, fearful, disgust, surprised",
        "clips": "1440 speech + 1012 song",
        "layout": "Actor_01/03-01-05-02-01-01-01.wav",
        "licence": "CC BY-NC-SA 4.0",
        "citation": "Livingstone SR, Russo FA (2018). The Ryerson Audio-Visual Database of "
                    "Emotional Speech and Song (RAVDESS). PLoS ONE 13(5): e0196391. "
                    "https://doi.org/10.1371/journal.pone.0196391",
        "url": "https://zenodo.org/records/1188976",
        "download": "auto",
    },
    "tess": {
        "full_name": "Toronto Emotional Speech Set",
        "language": "English (Canadian)",
        "speakers": "2 actresses (aged 26 and 64)",
        "emotions": "neutral, happy, sad, angry, fear, disgust, pleasant surprise",
        "clips": "2800",
        "layout": "TESS_Toronto_emotional_speech_set_data/OAF_angry/OAF_back_angry.wav",
        "licence": "CC BY-NC-ND 4.0",
        "citation": "Pichora-Fuller MK, Dupuis K (2020). Toronto emotional speech set (TESS). "
                    "Borealis, V1. https://doi.org/10.5683/SP2/E8H2MF",
        "url": "https://doi.org/10.5683/SP2/E8H2MF",
        "download": "auto",
    },
    "savee": {
        "full_name": "Surrey Audio-Visual Expressed Emotion",
        "language": "English (British)",
        "speakers": "4 male speakers",
        "emotions": "neutral, happiness, sadness, anger, fear, disgust, surprise",
        "clips": "480",
        "layout": "AudioData/DC/a01.wav (or Kaggle's flat DC_a01.wav)",
        "licence": "free for research; registration with the University of Surrey",
        "citation": "Haq S, Jackson PJB (2009). Speaker-dependent audio-visual emotion "
                    "recognition. Proc. AVSP 2009, 53-58.",
        "url": "http://kahlan.eps.surrey.ac.uk/savee/",
        "download": "manual",
    },
    "cremad": {
        "full_name": "Crowd-sourced Emotional Multimodal Actors Dataset",
        "language": "English (US)",
        "speakers": "91 actors (48 male, 43 female, aged 20-74)",
        "emotions": "neutral, happy, sad, anger, fear, disgust",
        "clips": "7442",
        "layout": "AudioWAV/1001_DFA_ANG_XX.wav + VideoDemographics.csv",
        "licence": "Open Database License (ODbL) 1.0; contents under the Database Contents License",
        "citation": "Cao H, Cooper DG, Keutmann MK, Gur RC, Nenkova A, Verma R (2014). CREMA-D: "
                    "Crowd-sourced Emotional Multimodal Actors Dataset. IEEE Transactions on "
                    "Affective Computing 5(4): 377-390.",
        "url": "https://github.com/CheyneyComputerScience/CREMA-D",
        "download": "auto",
    },
    "iemocap": {
        "full_name": "Interactive Emotional Dyadic Motion Capture database",
        "language": "English (US)",
        "speakers": "10 actors (5 male, 5 female) in 5 sessions",
        "emotions": "neutral, happiness, sadness, anger, fear, disgust, surprise, frustration, "
                    "excitement, other",
        "clips": "about 10,000 utterances (about 12 hours)",
        "layout": "Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav + "
                  "Session1/dialog/EmoEvaluation/*.txt",
        "licence": "research licence from USC SAIL (release form)",
        "citation": "Busso C, Bulut M, Lee C-C, et al. (2008). IEMOCAP: interactive emotional "
                    "dyadic motion capture database. Language Resources and Evaluation 42(4): "
                    "335-359.",
        "url": "https://sail.usc.edu/iemocap/",
        "download": "manual",
    },
    "emodb": {
        "full_name": "Berlin Database of Emotional Speech (EMO-DB)",
        "language": "German",
        "speakers": "10 actors (5 male, 5 female)",
        "emotions": "neutral, happiness, sadness, anger, fear, disgust, boredom",
        "clips": "535",
        "layout": "wav/03a01Fa.wav + erkennung.txt",
        "licence": "free of charge from the authors (no formal licence stated)",
        "citation": "Burkhardt F, Paeschke A, Rolfes M, Sendlmeier W, Weiss B (2005). A database "
                    "of German emotional speech. Proc. Interspeech 2005, 1517-1520.",
        "url": "http://emodb.bilderbar.info/",
        "download": "auto",
    },
}

#: Other spellings people use -> serlib's corpus name.
ALIASES = {"emo-db": "emodb", "berlin": "emodb", "crema-d": "cremad", "crema": "cremad"}

#: What to do for corpora that need a registration (printed by ``serlib datasets download``).
MANUAL_STEPS = {
    "savee": (
        "SAVEE needs a (free) registration with the University of Surrey:\n"
        "  1. Open http://kahlan.eps.surrey.ac.uk/savee/Register.html, fill in the form and wait\n"
        "     for the e-mail with the user name and password.\n"
        "  2. Download AudioData.zip from http://kahlan.eps.surrey.ac.uk/savee/Download.html.\n"
        "  3. Unzip it so that the clips sit at {folder}/AudioData/DC/a01.wav (speakers DC, JE, JK, KL).\n"
        "     A Kaggle copy with flat names (DC_a01.wav, JK_sa15.wav) also works: put those files\n"
        "     anywhere below {folder}/.\n"
        "  4. Run `serlib datasets check {root}` to confirm 480 clips, 4 speakers."
    ),
    "iemocap": (
        "IEMOCAP is released by USC SAIL under a licence agreement:\n"
        "  1. Read https://sail.usc.edu/iemocap/iemocap_release.htm and submit the electronic\n"
        "     release form; SAIL e-mails a download link.\n"
        "  2. Download IEMOCAP_full_release (about 12 GB) and unpack it.\n"
        "  3. Move (or symlink) the folders Session1 .. Session5 to {folder}/, so that\n"
        "     {folder}/Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav and\n"
        "     {folder}/Session1/dialog/EmoEvaluation/Ses01F_impro01.txt exist.\n"
        "  4. Run `serlib datasets check {root}` to confirm the clips and 10 speakers."
    ),
}


def canonical_name(name: str) -> str:
    """serlib's name for a corpus (``"EMO-DB"`` -> ``"emodb"``); raises DatasetError if unknown.

    Notebook: 04_datasets.ipynb
    """
    from serlib.errors import DatasetError

    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in CORPORA:
        raise DatasetError(f"unknown corpus '{name}': choose one of {', '.join(CORPORA)}")
    return key


def download_advice(name: str, root: Path) -> str:
    """One paragraph telling the user how to get corpus ``name`` into ``root``.

    Notebook: 04_datasets.ipynb
    """
    folder = Path(root) / name
    meta = CORPORA[name]
    if meta["download"] == "auto":
        return (f"Download it with `serlib datasets download {name} --data-root {root}`, or fetch the "
                f"official release from {meta['url']} by hand and unpack it into {folder}/ "
                f"(layout: {meta['layout']}). Or point SERLIB_DATA / --data-root at a folder that "
                f"already holds a '{name}' folder.")
    return MANUAL_STEPS[name].format(folder=folder, root=root)
