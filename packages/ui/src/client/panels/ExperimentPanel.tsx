/**
 * Export what is on screen as an experiment file (the CLI's format: `hooklens run FILE` replays
 * it), or import one to set the view. A view that is not one experiment says why; an import
 * the dashboard cannot show names the field and leaves the view as it was.
 */
import { useRef, useState } from 'react';
import { parseExperimentText } from '@hooklens/hooks/experiment-schema';
import type { ModelSummary } from '../../api/index.ts';
import { download } from '../charts/ChartFrame.tsx';
import { experimentToView, viewToExperiment } from '../lib/experiment.ts';
import { useSession } from '../state/session.tsx';

type Notice = { kind: 'error' | 'ok'; text: string } | null;

export function ExperimentPanel({ models }: { models: readonly ModelSummary[] }) {
  const { state, update, model } = useSession();
  const [notice, setNotice] = useState<Notice>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const exported = viewToExperiment(state, model);

  const onExport = () => {
    if ('unavailable' in exported) return;
    download(exported.fileName, `${JSON.stringify(exported.experiment, null, 2)}\n`, 'application/json');
    setNotice({ kind: 'ok', text: `saved ${exported.fileName}; replay it with: hooklens run ${exported.fileName}` });
  };

  const onImport = async (file: File) => {
    try {
      const outcome = experimentToView(parseExperimentText(await file.text(), file.name), models);
      if ('refused' in outcome) setNotice({ kind: 'error', text: `${file.name}: ${outcome.refused}` });
      else {
        // A flag already set for other inputs does not survive new inputs (state/ranFlags.ts): clear the flags
        // first, so the import's own computation is flagged afresh and runs, as its link would.
        update({ ran: [] });
        update(outcome.view);
        setNotice({ kind: 'ok', text: `imported ${file.name}` });
      }
    } catch (error) {
      setNotice({ kind: 'error', text: (error as Error).message }); // already names the file and the JSON path
    }
  };

  return (
    <div className="experiment-tools" data-testid="experiment-tools">
      <button
        type="button"
        onClick={onExport}
        disabled={'unavailable' in exported}
        title={'unavailable' in exported ? `Cannot export: ${exported.unavailable}` : 'Download this view as an experiment JSON file (the format of hooklens run)'}
        data-testid="experiment-export"
      >
        Export experiment
      </button>
      <button type="button" onClick={() => fileInput.current?.click()} title="Open an experiment JSON file (from the CLI's --save-experiment or an export)" data-testid="experiment-import">
        Import experiment…
      </button>
      <input
        ref={fileInput}
        type="file"
        accept="application/json,.json"
        hidden
        data-testid="experiment-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = ''; // choosing the same file again still fires
          if (file) void onImport(file);
        }}
      />
      {notice && (
        <span className={notice.kind === 'error' ? 'experiment-notice error' : 'experiment-notice'} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="experiment-notice">
          {notice.text}
          <button type="button" onClick={() => setNotice(null)} aria-label="dismiss">×</button>
        </span>
      )}
    </div>
  );
}
